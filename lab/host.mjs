// Host-side services the lab VM binds to (issue 5): a software TPM 2.0 (swtpm, QEMU's `-tpmdev emulator`) and a
// real tang server on 127.0.0.1 (the HTTPS key server is keyserver.mjs). Their state (TPM seed, tang keys) is cached next to disk2 under the same hash,
// since the bindings made at provisioning only stay valid with exactly that state.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { run, sleep } from './lib/util.mjs';
import { KEYSERVER_HOST } from './keyserver.mjs';

const TANGD = '/usr/libexec/tangd';
const KEYGEN = '/usr/libexec/tangd-keygen';
/** Where the VM reaches tang: an address inside slirp's 10.0.2.0/24, forwarded by QEMU (guestfwd). */
export const TANG_URL = 'http://10.0.2.100';

export async function makeTangKeys(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run(KEYGEN, [dir], { quiet: true });
}

/**
 * The TPM state of a run: a copy of the cached one. The sealed key only depends on the TPM's persistent seed
 * (systemd re-creates the primary key from it), so a mutated state would still unseal; copying keeps the cache
 * byte-identical across runs anyway and lets two runs use it at once.
 */
export function copyTpmState(cached, dir) {
  rmSync(dir, { recursive: true, force: true });
  cpSync(cached, dir, { recursive: true });
  return dir;
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor(ready, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`${what} did not come up within ${ms / 1000} s`);
    await sleep(50);
  }
}

const portOpen = (port) => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
  c.on('error', () => resolve(false));
});

/** Kill a detached child's whole process group (socat forks tangd per connection); resolves once it exited. */
function stopper(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return () => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return Promise.resolve(); }
    return exited;
  };
}

/** tangd behind socat on 127.0.0.1:<free port>; resolves with { port, stop }. */
export async function startTang(keysDir) {
  if (!existsSync(TANGD)) throw new Error(`${TANGD} missing: apt-get install tang socat (scripts/setup.sh)`);
  const port = await freePort();
  const child = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `EXEC:${TANGD} ${keysDir}`],
    { detached: true, stdio: 'ignore' });
  child.on('error', () => {});
  const stop = stopper(child);
  try { await waitFor(() => portOpen(port), `tang (socat on 127.0.0.1:${port})`); } catch (e) { stop(); throw e; }
  return { port, stop };
}

/** swtpm serving one QEMU on a unix control socket; resolves with { sock, stop }. */
export async function startSwtpm(stateDir, sock) {
  mkdirSync(stateDir, { recursive: true });
  rmSync(sock, { force: true });
  const child = spawn('swtpm', ['socket', '--tpm2', '--tpmstate', `dir=${stateDir}`,
    '--ctrl', `type=unixio,path=${sock}`], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  let failed;
  child.on('error', (e) => { failed = e; });
  const stop = stopper(child);
  try {
    await waitFor(async () => {
      if (failed) throw new Error(`cannot run swtpm: ${failed.message} (apt-get install swtpm swtpm-tools)`);
      return existsSync(sock);
    }, `swtpm (${sock})`);
  } catch (e) { stop(); throw e; }
  return { sock, stop };
}

/**
 * QEMU arguments: the TPM (TIS on q35) and one NIC on a restricted user-mode network. restrict=on: the VM
 * reaches nothing on the host or beyond, only the guestfwds (tang at 10.0.2.100:80, the key server at
 * 10.0.2.101:443); `cmd:` runs one socat per guest connection (a chardev guestfwd would be a single connection
 * for the VM's lifetime, and tangd answers one request each).
 */
export function hostArgs({ tpmSock, tangPort, keyServerPort }) {
  const args = [];
  if (tpmSock) {
    args.push('-chardev', `socket,id=chrtpm,path=${tpmSock}`, '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm',
      '-device', 'tpm-tis,tpmdev=tpm0');
  }
  const forwards = [];
  if (tangPort) forwards.push(`guestfwd=tcp:10.0.2.100:80-cmd:socat STDIO TCP:127.0.0.1:${tangPort}`);
  if (keyServerPort) forwards.push(`guestfwd=tcp:${KEYSERVER_HOST}:443-cmd:socat STDIO TCP:127.0.0.1:${keyServerPort}`);
  if (forwards.length > 0) {
    args.push('-netdev', ['user', 'id=n0', 'restrict=on', ...forwards].join(','), '-device', 'virtio-net-pci,netdev=n0');
  }
  return args;
}
