// `cryptvm doctor`: who else stops guests when the host shuts down. Two actors on one guest duel: libvirt may
// save a guest (its memory, keys included, to a file) or power it off while cryptvm-guests is still asking it
// to shut down in order, and a guest restored or started by libvirt at boot runs before its volumes are open.
//   libvirt-guests.service   ON_SHUTDOWN (default suspend = managedsave) on every running guest of URIS;
//                            ON_BOOT=start restarts them at boot regardless of cryptvm
//   libvirt ≥ 11.2           auto_shutdown_try_save / auto_shutdown_try_shutdown / auto_shutdown_poweroff in
//                            qemu.conf or virtqemud.conf ("none", "persistent", "transient", "all"), and
//                            auto_shutdown_restore (restore saved guests at the next start)
// Debian 12's libvirt (9.0) has no auto_shutdown settings: the files are only parsed when they hold them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { Finding } from './finding.js';

export interface ShutdownActorInputs {
  /** `systemctl is-enabled libvirt-guests.service`, or 'unknown' when systemd cannot be asked. */
  libvirtGuests: string;
  etcDir?: string;
}

/** KEY=value lines of a shell-style defaults file (quotes removed, comments skipped). */
export function parseShellVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.replace(/\s+#.*$/, '').trim();
    if (/^(['"]).*\1$/.test(v)) v = v.slice(1, -1);
    vars.set(m[1]!, v);
  }
  return vars;
}

/** `key = value` settings of a libvirt .conf file (strings unquoted; comments skipped). */
export function parseLibvirtConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*("([^"]*)"|[0-9]+)\s*(#.*)?$/.exec(line);
    if (m) out.set(m[1]!, m[3] ?? m[2]!);
  }
  return out;
}

const AUTO_ACTIONS = [
  ['auto_shutdown_try_save', 'saves (managedsave)'],
  ['auto_shutdown_try_shutdown', 'shuts down'],
  ['auto_shutdown_poweroff', 'powers off'],
] as const;

function readIf(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Enabled by a symlink in some *.wants directory (when systemctl cannot answer: not PID 1, a chroot). */
export function enabledBySymlink(etcDir: string, unit: string): boolean {
  const dir = join(etcDir, 'systemd/system');
  try {
    return readdirSync(dir).some((d) => d.endsWith('.wants') && existsSync(join(dir, d, unit)));
  } catch {
    return false;
  }
}

export function shutdownActorFindings(config: Config | undefined, inputs: ShutdownActorInputs): Finding[] {
  const etc = inputs.etcDir ?? '/etc';
  const guests = (config?.guests ?? []).map((g) => g.name);
  const names = guests.length > 0 ? `cryptvm's guests ${guests.join(', ')}` : 'every running guest';
  const out: Finding[] = [];

  const enabled = inputs.libvirtGuests === 'enabled' || (inputs.libvirtGuests === 'unknown' && enabledBySymlink(etc, 'libvirt-guests.service'));
  if (enabled) {
    const vars = parseShellVars(readIf(join(etc, 'default/libvirt-guests')) ?? '');
    const onShutdown = vars.get('ON_SHUTDOWN') ?? 'suspend';
    const action = onShutdown === 'shutdown' ? `shuts down (then, after SHUTDOWN_TIMEOUT=${vars.get('SHUTDOWN_TIMEOUT') ?? '300'}s, leaves them to be killed)` : 'suspends (managedsave: their memory, keys included, goes to disk)';
    const boot = vars.get('ON_BOOT') === 'start' ? '; with ON_BOOT=start it also starts them at boot, before their volumes may be open' : '';
    out.push({
      level: 'problem',
      what: `libvirt-guests.service is enabled: at host shutdown it also ${action} ${names} (ON_SHUTDOWN=${onShutdown}), racing cryptvm-guests${boot}`,
      fix: 'systemctl disable libvirt-guests.service (cryptvm-guests stops the gated guests in order), or limit its URIS to guests cryptvm does not manage',
    });
  }

  for (const file of ['libvirt/qemu.conf', 'libvirt/virtqemud.conf']) {
    const text = readIf(join(etc, file));
    if (text === undefined) continue;
    const conf = parseLibvirtConf(text);
    for (const [key, verb] of AUTO_ACTIONS) {
      const v = conf.get(key);
      if (v === undefined || v === 'none') continue;
      // cryptvm's guests are defined domains (persistent): "transient" does not reach them.
      const who = v === 'transient' ? undefined : names;
      if (!who) continue;
      out.push({
        level: 'problem',
        what: `${join(etc, file)}: ${key} = "${v}": at host shutdown libvirt itself ${verb} ${who}, racing cryptvm-guests (libvirt ≥ 11.2)`,
        fix: `set ${key} = "none" in ${join(etc, file)} and restart libvirt, so cryptvm-guests alone stops its guests in order`,
      });
    }
    const saves = conf.get('auto_shutdown_try_save');
    if (saves !== undefined && saves !== 'none' && saves !== 'transient' && conf.get('auto_shutdown_restore') !== '0') {
      out.push({
        level: 'problem',
        what: `${join(etc, file)}: auto_shutdown_restore is not 0: libvirt restores the guests it saved when it starts, before cryptvm has opened their volumes`,
        fix: `set auto_shutdown_restore = 0 in ${join(etc, file)}`,
      });
    }
  }
  return out;
}
