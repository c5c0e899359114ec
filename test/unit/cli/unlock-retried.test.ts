// `cryptvm unlock` on volumes whose keys need no person (key file, clevis): the daemon retries them without a
// prompt, and the CLI says what was retried and how each ended — real Daemon on the fake host behind it.
import { describe, expect, it } from 'vitest';
import { unlockAll } from '../../../src/cli/commands/unlock.js';
import type { CliContext } from '../../../src/cli/context.js';
import type { KeySource } from '../../../src/keys/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { config, volume } from '../../helpers/config.js';

/** Unavailable on the first try (tang unreachable at boot), then a key. */
function flaky(label: string, key: string, failFirst: number): KeySource {
  let n = 0;
  return {
    label,
    get: async () => (n++ < failFirst ? { kind: 'unavailable', source: label, reason: 'tang.example: connection refused' } : { kind: 'key', key: Buffer.from(key), source: label }),
  };
}

function cli(daemon: ReturnType<typeof daemonOnFakeHost>['daemon']) {
  const out = { text: '' };
  const err = { text: '' };
  const ctx = {
    stdout: { write: (s: string) => (out.text += s) },
    stderr: { write: (s: string) => (err.text += s) },
    api: () => ({ unlock: (n: string[]) => daemon.unlock(n), getStatus: async () => daemon.status() }),
  } as unknown as CliContext;
  return { ctx, out, err };
}

describe('cryptvm unlock of volumes that need no passphrase', () => {
  it('says what was retried and how it ended, and exits 1 when one stays locked', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_data', 'file-key').disk('/dev/vg/cr_tang', 'tang-key').disk('/dev/vg/cr_gone', 'x');
    const sources: Record<string, KeySource> = {
      cr_data: flaky('keyfile:/etc/cryptvm/data.key', 'file-key', 1),
      cr_tang: flaky('clevis', 'tang-key', 1),
      cr_gone: flaky('clevis', 'x', 99),
    };
    const units = { activeState: async () => 'inactive', stopIntent: async () => 'restart', jobType: async () => undefined };
    const { daemon } = daemonOnFakeHost(config([volume('cr_data', { keys: [{ kind: 'keyfile', path: '/etc/cryptvm/data.key' }] }), volume('cr_tang', { keys: [{ kind: 'clevis' }] }), volume('cr_gone', { keys: [{ kind: 'clevis' }] })], [], { bootWaitMs: 50 }), h, {
      log: createLogger({ level: 'silent' }),
      sources: (v) => [sources[v.name] as KeySource],
      units,
    });
    await daemon.boot();
    expect(daemon.status().volumes.map((v) => v.state)).toEqual(['locked', 'locked', 'locked']);
    const a = cli(daemon);
    expect(await unlockAll(a.ctx, ['cr_data', 'cr_tang'], undefined)).toBe(0);
    expect(a.out.text).toBe('cr_data: unlocked (keyfile:/etc/cryptvm/data.key)\ncr_tang: unlocked (clevis)\n');
    const b = cli(daemon);
    expect(await unlockAll(b.ctx, [], undefined)).toBe(1);
    expect(b.err.text).toMatch(/^cr_gone: not unlocked \(locked: no key source opened it: clevis: tang\.example: connection refused\)\n$/);
  });
});
