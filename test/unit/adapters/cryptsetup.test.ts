import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { Cryptsetup } from '../../../src/adapters/cryptsetup.js';
import { SpawnError } from '../../../src/adapters/exec.js';
import { CryptvmError } from '../../../src/errors.js';
import { FakeRunner, UnexpectedCallError } from '../../helpers/fake-runner.js';

const KEY = Buffer.from('s3cret-key\n');
const cs = (runner: FakeRunner) => new Cryptsetup(runner);

describe('Cryptsetup.open argv and stdin', () => {
  it('maps options to flags and sends the key byte-exact on stdin, never in argv', async () => {
    const r = new FakeRunner().expect({
      file: 'cryptsetup',
      args: ['open', '--type', 'luks', '--allow-discards', '--readonly', '--header', '/h.img', '--key-slot', '3', '-v', '--key-file=-', '--', '/dev/vg/lv', 'cr_x'],
      reply: { exitCode: 0, stdout: 'Key slot 3 unlocked.\nCommand successful.\n' },
    });
    const res = await cs(r).openDetailed('/dev/vg/lv', 'cr_x', KEY, { discard: true, readonly: true, header: '/h.img', keySlot: 3 });
    expect(res).toEqual({ result: 'opened', keySlot: 3 });
    r.assertDone();
    const call = r.calls[0]!;
    expect(call.input?.equals(KEY)).toBe(true);
    expect(call.options.secret).toBe(true);
    expect(call.options.timeoutMs).toBe(120_000);
    expect(call.args.join(' ')).not.toContain('s3cret');
  });

  it('plain open has no optional flags; exit 2 is bad-passphrase', async () => {
    const r = new FakeRunner().expect({ file: 'cryptsetup', args: ['open', '--type', 'luks', '-v', '--key-file=-', '--', '/dev/sda2', 'cr_y'], reply: { exitCode: 2, stderr: 'No key available with this passphrase.\n' } });
    expect(await cs(r).open('/dev/sda2', 'cr_y', KEY)).toBe('bad-passphrase');
  });

  it('uses the configured binary and rejects unexpected calls', async () => {
    const r = new FakeRunner();
    const e = await new Cryptsetup(r, { bin: '/sbin/cryptsetup' }).isLuks('/dev/x').catch((x: unknown) => x);
    expect((e as CryptvmError).cause).toBeInstanceOf(UnexpectedCallError);
    expect(r.calls[0]?.file).toBe('/sbin/cryptsetup');
  });
});

describe('Cryptsetup error mapping', () => {
  const cases: [number, string, string][] = [
    [1, 'Cannot use device cr_x, name is invalid or still in use.\n', 'Failed'],
    [3, 'Not enough available memory to open a keyslot.\n', 'Failed'],
    [4, 'Device /dev/vg/lv does not exist or access denied.\n', 'WrongDevice'],
    [5, 'Device cr_x already exists.\n', 'MappingConflict'],
    [1, 'Device /dev/vg/lv is not a valid LUKS device.\n', 'NotLuks'],
  ];
  for (const [exitCode, stderr, code] of cases) {
    it(`open exit ${exitCode} (${stderr.trim()}) → ${code}`, async () => {
      const r = new FakeRunner(() => ({ exitCode, stderr: `No usable token is available.\n${stderr}` }));
      const e = (await cs(r).open('/dev/vg/lv', 'cr_x', KEY).catch((x: unknown) => x)) as CryptvmError;
      expect(e).toBeInstanceOf(CryptvmError);
      expect(e.code).toBe(code);
      expect(e.exitCode).toBe(exitCode);
      expect(e.command).toBe('cryptsetup open --type luks -v --key-file=- -- /dev/vg/lv cr_x');
      expect(e.cause).toBeDefined();
      expect(e.volume).toBe('cr_x');
      expect(e.message).toContain('/dev/vg/lv');
      expect(e.message).toContain(stderr.trim());
      expect(inspect(e, { depth: 5 })).not.toContain('s3cret');
    });
  }

  it('redacts stderr that contains the key', async () => {
    const r = new FakeRunner(() => ({ exitCode: 1, stderr: 'weird: s3cret-key\n\n' }));
    const e = (await cs(r).testPassphrase('/dev/x', KEY).catch((x: unknown) => x)) as CryptvmError;
    expect(e.message).toContain('withheld');
    expect(inspect(e, { depth: 5 })).not.toContain('s3cret');
  });

  it('timeouts and aborts become Timeout/Cancelled', async () => {
    const t = new FakeRunner(() => new SpawnError('cryptsetup timed out', 'cryptsetup open', 'timeout'));
    await expect(cs(t).testPassphrase('/dev/x', KEY)).rejects.toMatchObject({ code: 'Timeout', command: 'cryptsetup open' });
    const a = new FakeRunner(() => new SpawnError('aborted', 'cryptsetup open', 'aborted'));
    await expect(cs(a).testPassphrase('/dev/x', KEY)).rejects.toMatchObject({ code: 'Cancelled' });
  });

  it('isLuks: 0 true, 1 false, 4 WrongDevice', async () => {
    const r = new FakeRunner()
      .expect({ file: 'cryptsetup', args: ['isLuks', '--', '/a'], reply: { exitCode: 0 } })
      .expect({ file: 'cryptsetup', args: ['isLuks', '--header', '/h', '--', '/b'], reply: { exitCode: 1 } })
      .expect({ file: 'cryptsetup', args: ['isLuks', '--', '/c'], reply: { exitCode: 4, stderr: 'Device /c does not exist or access denied.\n' } });
    expect(await cs(r).isLuks('/a')).toBe(true);
    expect(await cs(r).isLuks('/b', '/h')).toBe(false);
    await expect(cs(r).isLuks('/c')).rejects.toMatchObject({ code: 'WrongDevice', exitCode: 4 });
  });
});

describe('Cryptsetup.close and status', () => {
  it('maps close outcomes, and dm missing is an error, not not-active', async () => {
    const replies: Record<string, { exitCode: number; stderr?: string }> = {
      ok: { exitCode: 0 },
      gone: { exitCode: 4, stderr: 'Device gone is not active.\n' },
      held: { exitCode: 5, stderr: 'Device held is still in use.\n' },
      nodm: { exitCode: 4, stderr: 'Cannot initialize device-mapper. Is dm_mod kernel module loaded?\n' },
    };
    const r = new FakeRunner((c) => (c.args[0] === 'close' && c.args[1] === '--' ? replies[c.args[2]!] : undefined));
    expect(await cs(r).close('ok')).toBe('closed');
    expect(await cs(r).close('gone')).toBe('not-active');
    expect(await cs(r).close('held')).toBe('busy');
    await expect(cs(r).close('nodm')).rejects.toMatchObject({ code: 'Failed', exitCode: 4, volume: 'nodm' });
    expect(r.calls.every((c) => c.options.timeoutMs === 30_000)).toBe(true);
  });

  it('parses an active mapping and returns null for an inactive one', async () => {
    const out = [
      '/dev/mapper/cr_x is active and is in use.',
      '  type:    LUKS2',
      '  cipher:  aes-xts-plain64',
      '  keysize: 512 bits',
      '  key location: keyring',
      '  device:  /dev/loop0',
      '  loop:    /var/tmp/x.img',
      '  sector size:  512',
      '  offset:  32768 sectors',
      '  size:    8192 sectors',
      '  mode:    readonly',
      '  flags:   discards ',
      '',
    ].join('\n');
    const r = new FakeRunner()
      .expect({ file: 'cryptsetup', args: ['status', '--', 'cr_x'], reply: { exitCode: 0, stdout: out } })
      .expect({ file: 'cryptsetup', args: ['status', '--', 'cr_y'], reply: { exitCode: 4, stdout: '/dev/mapper/cr_y is inactive.\n' } });
    expect(await cs(r).status('cr_x')).toEqual({
      name: 'cr_x', type: 'LUKS2', device: '/dev/loop0', loopFile: '/var/tmp/x.img', cipher: 'aes-xts-plain64', readonly: true, inUse: true, discards: true,
    });
    expect(await cs(r).status('cr_y')).toBeNull();
  });
});
