// `npm run lab`: build or reuse the lab images and boot the VM with its console in this terminal.
// Power off inside the VM (`poweroff`) to end it; Ctrl-A x quits QEMU at once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepare, PASSPHRASE, ROOT_PASSWORD } from './prepare.mjs';
import { qemuArgs } from './vm.mjs';
import { startSwtpm } from './host.mjs';

let images;
try {
  images = await prepare('lab');
} catch (e) {
  console.error(`lab: ${e.message}`);
  process.exit(1);
}
console.log(`
  cryptvm lab — Debian 12 VM (TCG), cryptvm installed from ${images.deb.split('/').pop()}
  disk passphrase (cr_imap_encr + cr_images): ${PASSPHRASE}; cr_tpm (swtpm), cr_tang (tang on 127.0.0.1:${images.tangPort})
  and cr_keysrv (HTTPS key server on 127.0.0.1:${images.keyServerPort}) open alone
  login: root / ${ROOT_PASSWORD}
  try: cryptvm status · virsh list --all · journalctl -u cryptvm · systemctl status cryptvm
  leave: poweroff (or Ctrl-A x)   disks of this run: ${images.runDir}
`);
const tpm = await startSwtpm(images.tpmState, join(images.runDir, 'swtpm.sock'));
const args = qemuArgs({ ...images, results: join(images.runDir, 'results.log'), console: 'mon:stdio', tpmSock: tpm.sock });
const child = spawn('qemu-system-x86_64', args, { stdio: 'inherit' });
child.on('exit', (code) => { tpm.stop(); images.stopHost(); process.exit(code ?? 0); });
