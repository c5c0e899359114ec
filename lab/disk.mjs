// The second virtual disk (volgrp4 with six LUKS2 volumes). LVM and dm-crypt need device-mapper, which this
// host kernel lacks, so it is laid out INSIDE the VM by a provisioning boot (lab.provision on the kernel
// command line runs lab-provision.service, which powers off) and cached; runs use qcow2 overlays of it.
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, run, log } from './lib/util.mjs';
import { qemuArgs, overlay, bootHeadless } from './vm.mjs';
import { makeTangKeys, startSwtpm, startTang } from './host.mjs';
import { startKeyServer } from './keyserver.mjs';

export const DISK2_MIB = 384;

/** disk2 plus the host state its TPM2 token and tang binding were made with, all under the base hash. */
export async function provisionDisk2(base) {
  const image = join(CACHE, `disk2-${base.hash}.img`);
  const tpmState = join(CACHE, `swtpm-${base.hash}`);
  const tangKeys = join(CACHE, `tang-${base.hash}`);
  const state = { image, tpmState, tangKeys };
  if ([image, tpmState, tangKeys].every((p) => existsSync(p))) return state;
  const t0 = Date.now();
  log('provisioning the second disk in a VM (LVM + LUKS2), about 1-2 min');
  const tmp = `${image}.tmp`;
  const rootOverlay = join(CACHE, 'provision-root.qcow2');
  const results = join(CACHE, 'provision-results.log');
  const consoleLog = join(CACHE, 'provision-console.log');
  // A provisioning boot takes 50-170 s. Once (in a CI run) one hung with nothing written to the disk and
  // nothing on the result channel; the same boot then passed in 50 s. So: a bounded try, its console kept
  // in a file, and one more try from scratch before giving up with both logs.
  let out = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    rmSync(tmp, { force: true });
    rmSync(results, { force: true });
    rmSync(consoleLog, { force: true });
    await run('truncate', ['-s', `${DISK2_MIB}M`, tmp]);
    await overlay(base.image, rootOverlay);
    await makeTangKeys(`${tangKeys}.tmp`);
    rmSync(`${tpmState}.tmp`, { recursive: true, force: true });
    const tang = await startTang(`${tangKeys}.tmp`);
    let tpm;
    let keyServer;
    let failure;
    try {
      keyServer = await startKeyServer(base.keyserver);
      tpm = await startSwtpm(`${tpmState}.tmp`, join(CACHE, 'provision-swtpm.sock'));
      await bootHeadless(qemuArgs({ kernel: base.kernel, initrd: base.initrd, root: rootOverlay, disk2: tmp, results,
        cmdline: ['lab.provision'], tpmSock: tpm.sock, tangPort: tang.port, keyServerPort: keyServer.port }),
      { timeoutMs: 360_000, consoleLog });
    } catch (e) {
      failure = e;
    } finally {
      await tpm?.stop(); // exited before its state directory is renamed into the cache
      await tang.stop();
      await keyServer?.stop();
    }
    out = existsSync(results) ? readFileSync(results, 'utf8') : '';
    if (out.includes('@@PROVISION OK')) break;
    const consoleTail = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8').slice(-3000) : '';
    const why = `${failure ? `${failure.message}; ` : ''}its log (ttyS1) ends with:\n${out.slice(-3000)}\nconsole (ttyS0) ends with:\n${consoleTail}`;
    if (attempt === 2) throw new Error(`provisioning the second disk failed twice; ${why}`);
    log(`provisioning try ${attempt} failed, trying once more from scratch; ${why}`);
  }
  rmSync(rootOverlay, { force: true });
  for (const p of [tpmState, tangKeys]) rmSync(p, { recursive: true, force: true });
  renameSync(`${tpmState}.tmp`, tpmState);
  renameSync(`${tangKeys}.tmp`, tangKeys);
  renameSync(tmp, image);
  log(`second disk provisioned in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return state;
}
