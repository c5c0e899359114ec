// cryptvm doctor: libvirt-guests and libvirt ≥ 11.2's own auto_shutdown stop guests too. Fixture /etc trees:
// each actor is found, the guests both would handle are named, and the fix says what to change.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLibvirtConf, parseShellVars, shutdownActorFindings } from '../../../src/cli/shutdown-actors.js';
import { config, guest } from '../../helpers/config.js';

const root = mkdtempSync(join(tmpdir(), 'cryptvm-actors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function etc(files: Record<string, string>): string {
  const dir = join(root, `etc${n++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const cfg = config([], [guest('imap'), guest('web')]);

describe('shutdown actors', () => {
  it('nothing else stops guests: no findings (Debian 12: no auto_shutdown keys, libvirt-guests disabled)', () => {
    const dir = etc({ 'libvirt/qemu.conf': '#auto_shutdown_try_save = "all"\nuser = "root"\n', 'default/libvirt-guests': 'ON_SHUTDOWN=suspend\n' });
    expect(shutdownActorFindings(cfg, { libvirtGuests: 'disabled', etcDir: dir })).toEqual([]);
  });

  it('libvirt-guests enabled with its default suspend: names the guests and the fix', () => {
    const [f] = shutdownActorFindings(cfg, { libvirtGuests: 'enabled', etcDir: etc({}) });
    expect(f).toEqual({
      level: 'problem',
      what: "libvirt-guests.service is enabled: at host shutdown it also suspends (managedsave: their memory, keys included, goes to disk) cryptvm's guests imap, web (ON_SHUTDOWN=suspend), racing cryptvm-guests",
      fix: 'systemctl disable libvirt-guests.service (cryptvm-guests stops the gated guests in order), or limit its URIS to guests cryptvm does not manage',
    });
  });

  it('libvirt-guests found by its symlink when systemctl cannot answer; ON_SHUTDOWN=shutdown and ON_BOOT=start read from /etc/default', () => {
    const dir = etc({ 'default/libvirt-guests': '# comment\nON_BOOT=start\nON_SHUTDOWN="shutdown"  # graceful\nSHUTDOWN_TIMEOUT=120\n' });
    mkdirSync(join(dir, 'systemd/system/multi-user.target.wants'), { recursive: true });
    symlinkSync('/lib/systemd/system/libvirt-guests.service', join(dir, 'systemd/system/multi-user.target.wants/libvirt-guests.service'));
    const [f] = shutdownActorFindings(cfg, { libvirtGuests: 'unknown', etcDir: dir });
    expect(f?.what).toBe(
      "libvirt-guests.service is enabled: at host shutdown it also shuts down (then, after SHUTDOWN_TIMEOUT=120s, leaves them to be killed) cryptvm's guests imap, web (ON_SHUTDOWN=shutdown), racing cryptvm-guests; with ON_BOOT=start it also starts them at boot, before their volumes may be open",
    );
  });

  it('libvirt ≥ 11.2 auto_shutdown in virtqemud.conf and qemu.conf: each active setting, and restore after a save', () => {
    const dir = etc({
      'libvirt/qemu.conf': 'auto_shutdown_try_shutdown = "all"\nauto_shutdown_poweroff = "transient"\n',
      'libvirt/virtqemud.conf': 'auto_shutdown_try_save = "persistent"   # save them\nauto_shutdown_wait = 30\n',
    });
    const f = shutdownActorFindings(cfg, { libvirtGuests: 'disabled', etcDir: dir });
    expect(f.map((x) => x.what)).toEqual([
      `${dir}/libvirt/qemu.conf: auto_shutdown_try_shutdown = "all": at host shutdown libvirt itself shuts down cryptvm's guests imap, web, racing cryptvm-guests (libvirt ≥ 11.2)`,
      `${dir}/libvirt/virtqemud.conf: auto_shutdown_try_save = "persistent": at host shutdown libvirt itself saves (managedsave) cryptvm's guests imap, web, racing cryptvm-guests (libvirt ≥ 11.2)`,
      `${dir}/libvirt/virtqemud.conf: auto_shutdown_restore is not 0: libvirt restores the guests it saved when it starts, before cryptvm has opened their volumes`,
    ]);
    expect(f[0]?.fix).toBe(`set auto_shutdown_try_shutdown = "none" in ${dir}/libvirt/qemu.conf and restart libvirt, so cryptvm-guests alone stops its guests in order`);
  });

  it('parsers', () => {
    expect(parseLibvirtConf('a = "x"\n#b = "y"\nc = 1 # n\n d= "z"')).toEqual(new Map([['a', 'x'], ['c', '1'], ['d', 'z']]));
    expect(parseShellVars("A='1'\n#B=2\nC=3 # x\n")).toEqual(new Map([['A', '1'], ['C', '3']]));
  });
});
