// cryptvm doctor: the worst-case time to stop every guest against cryptvm-guests.service's TimeoutStopSec.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runner, RunResult } from '../../../src/adapters/exec.js';
import { Systemctl } from '../../../src/adapters/systemctl.js';
import { diagnose } from '../../../src/cli/commands/doctor.js';
import type { CliContext } from '../../../src/cli/context.js';
import { parseTimespanMs, worstStopMs } from '../../../src/cli/stop-budget.js';
import { config, guest } from '../../helpers/config.js';

/** systemd answering is-enabled and `show -p TimeoutStopUSec`; anything else is unexpected. */
class Systemd implements Runner {
  constructor(private readonly timeoutStop: string) {}
  async run(file: string, args: readonly string[]): Promise<RunResult> {
    const ok = (stdout: string): RunResult => ({ command: `${file} ${args.join(' ')}`, exitCode: 0, stdout, stderr: '' });
    if (file === 'systemctl' && args[0] === 'is-enabled') return ok(args[1] === 'cryptvm-guests.service' ? 'enabled\n' : 'disabled\n');
    if (file === 'systemctl' && args.join(' ') === 'show --property=TimeoutStopUSec --value cryptvm-guests.service') return ok(`${this.timeoutStop}\n`);
    throw new Error(`unexpected: ${file} ${args.join(' ')}`);
  }
}

const guests = (n: number) => Array.from({ length: n }, (_, i) => `[[guest]]\nname = "g${i}"\nshutdown_timeout = "10min"\n`).join('\n');

function doctorWith(toml: string, timeoutStop: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-budget-'));
  const configPath = join(dir, 'cryptvm.toml');
  writeFileSync(configPath, toml, { mode: 0o644 });
  writeFileSync(join(dir, 'crypttab'), '');
  const ctx = { configPath, systemctl: new Systemctl(new Systemd(timeoutStop)), api: () => ({ plan: async () => ({ boot: [], shutdown: [], conflicts: [] }) }) } as unknown as CliContext;
  return diagnose(ctx, { crypttab: join(dir, 'crypttab'), saveDir: tmpdir() });
}

describe('stop budget', () => {
  it('schedules the timeouts per after= layer onto parallel_shutdown slots', () => {
    const min = 60_000;
    expect(worstStopMs(config([], [guest('a', { shutdownTimeoutMs: 10 * min }), guest('b', { shutdownTimeoutMs: 10 * min }), guest('c', { shutdownTimeoutMs: 5 * min })], { parallelShutdown: 2 }))).toBe(15 * min);
    // c after a: c stops first (its own layer), then a and b together.
    expect(worstStopMs(config([], [guest('a', { shutdownTimeoutMs: 10 * min }), guest('b', { shutdownTimeoutMs: 3 * min }), guest('c', { after: ['a'], shutdownTimeoutMs: 5 * min })], { parallelShutdown: 4 }))).toBe(15 * min);
  });

  it('reads systemd time spans', () => {
    expect(parseTimespanMs('30min')).toBe(1_800_000);
    expect(parseTimespanMs('1h 30min 5s')).toBe(5_405_000);
    expect(parseTimespanMs('infinity')).toBe(Infinity);
    expect(parseTimespanMs('soon')).toBeUndefined();
  });

  it('doctor reports guests that cannot all stop within TimeoutStopSec, and is quiet when they can', async () => {
    const toml = `[daemon]\nparallel_shutdown = 2\n\n${guests(7)}`; // 4 rounds of 10 min on 2 slots = 40 min
    const f = await doctorWith(toml, '30min');
    const budget = f.filter((x) => /TimeoutStopSec/.test(x.what));
    expect(budget).toHaveLength(1);
    expect(budget[0]?.level).toBe('problem');
    expect(budget[0]?.what).toMatch(/^stopping the guests can take 2400 s \(.*parallel_shutdown = 2.*\), more than cryptvm-guests\.service's TimeoutStopSec=30min/);
    expect(budget[0]?.fix).toMatch(/TimeoutStopSec=45min/);
    expect((await doctorWith(toml, '1h')).some((x) => /TimeoutStopSec/.test(x.what))).toBe(false);
  });
});
