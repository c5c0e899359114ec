// cryptvm doctor names every libvirt guest with a disk on a cryptvm volume that cryptvm does not gate.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runner, RunResult } from '../../../src/adapters/exec.js';
import { Systemctl } from '../../../src/adapters/systemctl.js';
import { diagnose } from '../../../src/cli/commands/doctor.js';
import { Devices } from '../../../src/adapters/devices.js';
import type { CliContext } from '../../../src/cli/context.js';

const enabledUnits: Runner = {
  async run(file: string, args: readonly string[]): Promise<RunResult> {
    const enabled = args[1] === 'cryptvm-guests.service';
    if (file !== 'systemctl' || args[0] !== 'is-enabled') throw new Error(`unexpected: ${file} ${args.join(' ')}`);
    return { command: `systemctl ${args.join(' ')}`, exitCode: enabled ? 0 : 1, stdout: enabled ? 'enabled\n' : 'disabled\n', stderr: '' };
  },
};

const CONFIG = `[[volume]]
name = "cr_data"
device = "/dev/vg/data"
keys = ["credential"]

[[volume]]
name = "cr_img"
device = "/dev/vg/img"
keys = ["credential"]
mount = { where = "/srv/img" }

[[guest]]
name = "imap"
`;

const domain = (name: string, disk: string) =>
  `<domain type='kvm'><name>${name}</name><devices>${disk.startsWith('/dev/') ? `<disk type='block'><source dev='${disk}'/><target dev='vda'/></disk>` : `<disk type='file'><source file='${disk}'/><target dev='vda'/></disk>`}</devices></domain>`;

describe('cryptvm doctor: guests on cryptvm volumes that cryptvm does not gate', () => {
  it('a problem with the fix for each ungated one, a note for those gated by their libvirt autostart flag, nothing for the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cryptvm-doctor-xml-'));
    const xml = join(dir, 'qemu');
    mkdirSync(join(xml, 'autostart'), { recursive: true });
    const doms: [string, string][] = [['imap', '/dev/mapper/cr_data'], ['web', '/dev/mapper/cr_data'], ['office', '/srv/img/office.qcow2'], ['dns', '/var/lib/libvirt/images/dns.qcow2']];
    for (const [n, d] of doms) writeFileSync(join(xml, `${n}.xml`), domain(n, d));
    symlinkSync(join(xml, 'office.xml'), join(xml, 'autostart', 'office.xml'));
    symlinkSync(join(xml, 'dns.xml'), join(xml, 'autostart', 'dns.xml'));
    const configPath = join(dir, 'cryptvm.toml');
    writeFileSync(configPath, CONFIG, { mode: 0o600 });
    const ctx = { configPath, systemctl: new Systemctl(enabledUnits), api: () => ({ plan: async () => ({ boot: [], shutdown: [], conflicts: [] }) }) } as unknown as CliContext;
    // The configured devices exist (doctor reports missing ones: device-findings.test.ts).
    mkdirSync(join(dir, 'dev/vg'), { recursive: true });
    for (const d of ['data', 'img']) writeFileSync(join(dir, 'dev/vg', d), '');
    const devices = new Devices({ devRoot: join(dir, 'dev') });
    const f = await diagnose(ctx, { crypttab: join(dir, 'crypttab'), saveDir: tmpdir(), etcDir: dir, xmlDir: xml, devices });
    expect(f).toEqual([
      {
        level: 'note',
        what: "guest office (disk on cr_img) is gated through libvirt's autostart flag: cryptvm starts it once cr_img is open and stops it at shutdown",
        fix: 'nothing to do; a [[guest]] table named office adds after, delay or timeouts',
      },
      {
        level: 'problem',
        what: 'guest web has a disk on cryptvm volume cr_data but cryptvm does not gate it (no [[guest]] table, no libvirt autostart flag): started by hand, by libvirt-guests or a script it does not wait for cr_data (and fails while it is locked), and at shutdown nothing stops it before cr_data closes',
        fix: `add [[guest]] name = "web" to ${configPath} (with autostart = false if cryptvm should only stop it), or mark it: virsh autostart web`,
      },
    ]);
  });
});
