// A private, system-bus-like dbus-daemon for tests: default-deny policy like /usr/share/dbus-1/system.conf,
// plus the SHIPPED policy file (packaging/dbus/org.cryptvm.Manager1.conf), so the tests check the policy
// users get. The socket directory is world-traversable so a test can connect as `nobody`.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const SHIPPED_POLICY = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../packaging/dbus/org.cryptvm.Manager1.conf');

export interface PrivateBus {
  address: string;
  dir: string;
  stop(): Promise<void>;
}

function config(socket: string, extraPolicy: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>${SHIPPED_POLICY}</include>
  ${extraPolicy}
</busconfig>
`;
}

/** Policy snippet that lets everyone call the service: only the daemon's own uid check remains. */
export const ALLOW_EVERYONE = '<policy context="default"><allow send_destination="org.cryptvm.Manager1"/></policy>';

export async function startPrivateBus(opts: { extraPolicy?: string } = {}): Promise<PrivateBus> {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-bus-'));
  chmodSync(dir, 0o755);
  const cfg = join(dir, 'bus.conf');
  writeFileSync(cfg, config(join(dir, 'socket'), opts.extraPolicy ?? ''));
  const child: ChildProcess = spawn('dbus-daemon', [`--config-file=${cfg}`, '--print-address', '--nofork'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('dbus-daemon did not print its address within 10 s')), 10_000);
    child.once('error', rej);
    child.once('exit', (code) => rej(new Error(`dbus-daemon exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      res(line.trim());
    });
  });
  return {
    address,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
