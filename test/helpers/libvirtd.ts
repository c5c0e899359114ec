// A real, private libvirtd serving libvirt's TEST driver, for integration tests of the virsh adapter.
//
// Why a daemon: `test:///default` lives inside each virsh process, so state is lost between calls. Served
// by libvirtd as `test+unix:///default?socket=<dir>/libvirt-sock`, the default test connection is shared
// by all clients — but only while at least one connection stays open (libvirt drops the shared state when
// the last one closes), so the harness keeps a `virsh event --loop` child connected for its lifetime.
//
// What works on Debian 12 / libvirt 9.0 (measured):
// - `unshare --mount --net --propagation private sh -c 'mount tmpfs…; exec libvirtd -f <conf> -p <pid>'`
//   as root. tmpfs over /run (hides the host's /run/libvirt; /var/run links there), /var/lib, /var/cache
//   and /var/log (libvirtd's directories are made inside them), and over /etc/libvirt when that exists:
//   libvirtd cannot read or write host state. The mount points are directories every Debian system has,
//   never ones a libvirt package may or may not have created (libvirt-daemon alone leaves no
//   /var/lib/libvirt; without /etc/libvirt there is no host configuration to hide).
//   The private net namespace keeps any network driver away from the host's interfaces.
// - LIBVIRT_DRIVER_DIR=<empty dir>: libvirtd loads its stateful drivers (qemu, network, storage, …) as
//   optional modules; with none found it serves only the test driver built into libvirt.so — no QEMU probe,
//   no dnsmasq, starts in well under a second.
// - The config (-f) puts the sockets in a temp dir on the host's /tmp, reachable from outside the
//   namespaces (path sockets cross network namespaces), with auth none and 0700 perms (root only).
// - `test+unix:///path/node.xml` (a custom node file) opens a NEW private state per connection, so it is
//   useless for shared state; tests `virsh define` their own domains on /default instead.
// - Cleanup: killing libvirtd (the exec'd sh) ends the last process of the mount namespace, which drops
//   its tmpfs mounts; the temp dir is removed. Nothing on the host is touched.
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Hidden under a private tmpfs: directories of the base system, so they exist on any Debian host. */
const PRIVATE = ['/run', '/var/lib', '/var/cache', '/var/log'];
/** libvirtd's own state directories, made inside those tmpfs mounts. */
const STATE = ['/run/libvirt', '/var/lib/libvirt', '/var/cache/libvirt', '/var/log/libvirt'];

export interface Libvirtd {
  /** `test+unix:///default?socket=…`: pass to `new Virsh(runner, { uri })`. */
  uri: string;
  dir: string;
  /** Defines a domain from XML (virsh define). */
  define(xml: string): Promise<void>;
  stop(): Promise<void>;
}

/** Why the harness cannot run here, or undefined if it can. Print it in describe.skipIf. */
export function libvirtdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (unshare --mount, tmpfs mounts)';
  for (const p of ['/usr/sbin/libvirtd', '/usr/bin/virsh', '/usr/bin/unshare']) {
    if (!existsSync(p)) return `${p} missing: apt-get install libvirt-daemon libvirt-clients util-linux`;
  }
  return undefined;
}

export async function startLibvirtd(): Promise<Libvirtd> {
  const dir = await mkdtemp(join(tmpdir(), 'cryptvm-libvirtd-'));
  const sockDir = join(dir, 'sock');
  const drivers = join(dir, 'no-drivers');
  await mkdir(sockDir);
  await mkdir(drivers);
  const conf = join(dir, 'libvirtd.conf');
  await writeFile(
    conf,
    [`unix_sock_dir = "${sockDir}"`, 'unix_sock_rw_perms = "0700"', 'auth_unix_rw = "none"', 'auth_unix_ro = "none"', 'log_outputs = "3:stderr"', ''].join('\n'),
  );
  const mounts = PRIVATE.map((d) => `mount -t tmpfs -o mode=0755 cryptvm-test ${d} || exit 1; `).join('');
  const etc = 'if [ -d /etc/libvirt ]; then mount -t tmpfs -o mode=0755 cryptvm-test /etc/libvirt || exit 1; fi; ';
  const script = `${mounts}${etc}mkdir -p ${STATE.join(' ')} || exit 1; exec /usr/sbin/libvirtd -f ${conf} -p ${join(dir, 'libvirtd.pid')}`;
  const daemon = execa('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script], {
    env: { LC_ALL: 'C', LIBVIRT_DRIVER_DIR: drivers },
    reject: false,
    stdin: 'ignore',
  });
  const socket = join(sockDir, 'libvirt-sock');
  const uri = `test+unix:///default?socket=${socket}`;
  let keeper: ResultPromise | undefined;
  const stop = async (): Promise<void> => {
    keeper?.kill();
    await keeper;
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 5_000);
    await daemon;
    clearTimeout(timer);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => existsSync(socket), daemon, 10_000);
    // The keeper connection holds the shared /default state; `event --loop` stays connected and idle.
    keeper = execa('virsh', ['-c', uri, 'event', '--all', '--loop'], { env: { LC_ALL: 'C' }, reject: false, stdin: 'ignore' });
    await waitFor(async () => (await execa('virsh', ['-c', uri, 'list', '--all', '--name'], { reject: false })).exitCode === 0, daemon, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    uri,
    dir,
    async define(xml) {
      const file = join(dir, `domain-${Date.now()}-${Math.random().toString(36).slice(2)}.xml`);
      await writeFile(file, xml);
      await execa('virsh', ['-c', uri, 'define', file], { env: { LC_ALL: 'C' } });
    },
    stop,
  };
}

async function waitFor(ready: () => boolean | Promise<boolean>, daemon: ResultPromise, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (daemon.exitCode !== null && daemon.exitCode !== undefined) {
      throw new Error(`libvirtd exited early: ${String((await daemon).stderr)}`);
    }
    if (await ready()) return;
    if (Date.now() > until) throw new Error(`libvirtd not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
