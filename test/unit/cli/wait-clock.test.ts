// `cryptvm wait --prompts` polls the daemon every 500 ms on its clock until no volume waits at the console,
// or gives up at --timeout; a daemon whose bus name is not there yet is asked again for 15 s.
import { describe, expect, it } from 'vitest';
import { wait } from '../../../src/cli/commands/wait.js';
import type { CliContext } from '../../../src/cli/context.js';
import { CryptvmError } from '../../../src/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function cli(clock: FakeClock, status: () => Promise<{ phase: string; consoleWait?: string[] }>) {
  const out = { text: '' };
  const err = { text: '' };
  const ctx = {
    stdout: { write: (s: string) => (out.text += s) },
    stderr: { write: (s: string) => (err.text += s) },
    api: () => ({ getStatus: status }),
    configPath: '/nonexistent/cryptvm.toml',
    clock,
  } as unknown as CliContext;
  return { ctx, out, err };
}

describe('cryptvm wait --prompts on the clock', () => {
  it('returns at the first poll after the console wait ends', async () => {
    const clock = new FakeClock();
    const c = cli(clock, async () => ({ phase: 'running', consoleWait: clock.now() < 1_200 ? ['cr_a'] : [] }));
    expect(await clock.run(wait.run(c.ctx, { prompts: true }, []))).toBe(0);
    expect(clock.now()).toBe(1_500); // polls at 0, 500, 1000 (still waiting), 1500
    expect(c.out.text).toBe('waiting for a passphrase at the console: cr_a (logins wait until it is answered or boot_wait passes)\nno volume waits for a passphrase at the console any more\n');
  });

  it('gives up once --timeout has passed on the clock', async () => {
    const clock = new FakeClock();
    const c = cli(clock, async () => ({ phase: 'running', consoleWait: ['cr_a'] }));
    expect(await clock.run(wait.run(c.ctx, { prompts: true, timeout: '2s' }, []))).toBe(1);
    expect(clock.now()).toBe(2_500); // the poll at 2000 is not past the deadline yet
    expect(c.err.text).toMatch(/^gave up after 2s: cryptvmd still says cr_a may need a passphrase/);
  });

  it('asks again while the bus name is missing, for 15 s on the clock', async () => {
    const clock = new FakeClock();
    const c = cli(clock, async () => {
      throw new CryptvmError('NotFound', 'org.cryptvm.Manager1 is not on the bus');
    });
    const e = await clock.run(wait.run(c.ctx, { prompts: true, timeout: '1min' }, []).catch((x: unknown) => x));
    expect(e).toMatchObject({ code: 'NotFound' });
    expect(clock.now()).toBe(15_500);
  });
});
