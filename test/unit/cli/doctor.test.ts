import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Devices } from '../../../src/adapters/devices.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runner, RunResult } from '../../../src/adapters/exec.js';
import { Systemctl } from '../../../src/adapters/systemctl.js';
import { diagnose } from '../../../src/cli/commands/doctor.js';
import type { CliContext } from '../../../src/cli/context.js';
import { CryptvmError } from '../../../src/errors.js';

/** systemd as seen by `systemctl is-enabled`: a unit → state table; anything else is unexpected. */
class FakeSystemd implements Runner {
  constructor(private readonly enabled: Record<string, string>) {}
  async run(file: string, args: readonly string[]): Promise<RunResult> {
    const [verb, unit] = args;
    if (file !== 'systemctl' || verb !== 'is-enabled' || !unit || !(unit in this.enabled)) throw new Error(`unexpected: ${file} ${args.join(' ')}`);
    const state = this.enabled[unit]!;
    return { command: `systemctl ${args.join(' ')}`, exitCode: state === 'enabled' ? 0 : 1, stdout: `${state}\n`, stderr: '' };
  }
}

const HEALTHY = '[[volume]]\nname = "cr_a"\ndevice = "/dev/vg/a"\nkeys = ["credential", "prompt"]\n\n[[guest]]\nname = "imap"\nvolumes = ["cr_a"]\n';

function setup(enabled: Record<string, string>, crypttab: string, plan: () => Promise<unknown>, config = HEALTHY) {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-doctor-'));
  const configPath = join(dir, 'cryptvm.toml');
  writeFileSync(configPath, config, { mode: 0o644 });
  writeFileSync(join(dir, 'crypttab'), crypttab);
  // The configured device exists (doctor reports missing ones: test/unit/cli/device-findings.test.ts).
  mkdirSync(join(dir, 'dev/vg'), { recursive: true });
  writeFileSync(join(dir, 'dev/vg/a'), '');
  const ctx = { configPath, systemctl: new Systemctl(new FakeSystemd(enabled)), api: () => ({ plan }) } as unknown as CliContext;
  return { ctx, crypttab: join(dir, 'crypttab'), devices: new Devices({ devRoot: join(dir, 'dev') }) };
}

describe('cryptvm doctor', () => {
  it('finds the crypttab overlap, the unit problems and the daemon conflicts, each with a fix', async () => {
    const { ctx, crypttab, devices } = setup(
      { 'cryptvm-guests.service': 'disabled', 'libvirt-guests.service': 'enabled' },
      '# x\ncr_other /dev/sdz none\ncr_a_old /dev/vg/a none luks\n',
      async () => ({ boot: [], shutdown: [], conflicts: ['guest imap has libvirt autostart on'] }),
    );
    const f = await diagnose(ctx, { crypttab, devices });
    expect(f.map((x) => x.level)).toEqual(['problem', 'problem', 'problem', 'problem']);
    expect(f[0]!.what).toContain(`volume cr_a is also in ${crypttab} (line 3: cr_a_old /dev/vg/a)`);
    expect(f[0]!.fix).toContain('remove line 3');
    expect(f[1]!.fix).toBe('systemctl enable cryptvm-guests.service');
    expect(f[2]!.what).toMatch(/^libvirt-guests\.service is enabled/);
    expect(f[3]!.what).toBe('guest imap has libvirt autostart on');
  });

  it('a healthy setup without a running daemon has only a note', async () => {
    const { ctx, crypttab, devices } = setup({ 'cryptvm-guests.service': 'enabled', 'libvirt-guests.service': 'disabled' }, 'cr_a /dev/vg/a none noauto\n', async () => {
      throw new CryptvmError('NotFound', 'cryptvmd is not running');
    });
    const f = await diagnose(ctx, { crypttab, devices });
    expect(f).toEqual([{ level: 'note', what: 'autostart conflicts not checked: cryptvmd is not running', fix: 'start cryptvmd and run cryptvm doctor again' }]);
  });

  it('notes a volume only a person can open, and refuses managedsave onto an unencrypted save directory', async () => {
    const config = '[[volume]]\nname = "cr_a"\ndevice = "/dev/vg/a"\nkeys = ["prompt"]\n\n[[guest]]\nname = "imap"\non_timeout = "managedsave"\nvolumes = ["cr_a"]\n';
    const { ctx, crypttab, devices } = setup({ 'cryptvm-guests.service': 'enabled', 'libvirt-guests.service': 'disabled' }, '', async () => ({ boot: [], shutdown: [], conflicts: [] }), config);
    const f = await diagnose(ctx, { crypttab, saveDir: tmpdir(), devices }); // this machine's /tmp is on a plain disk
    expect(f.map((x) => x.level)).toEqual(['note', 'problem']);
    expect(f[0]!.what).toBe('volume cr_a can only be opened by a person (keys = prompt): after boot_wait its guests wait until someone runs cryptvm unlock');
    expect(f[1]!.what).toMatch(/^guest\(s\) imap use on_timeout = "managedsave", but \/tmp is not on an encrypted volume/);
  });
});
