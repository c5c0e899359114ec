import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../../src/cli/client.js';
import type { CliContext } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/run.js';
import { CryptvmError } from '../../../src/errors.js';

function ctx(api: Partial<ApiClient> = {}) {
  const out = { text: '' };
  const err = { text: '' };
  const c = {
    stdout: { write: (s: string) => (out.text += s) },
    stderr: { write: (s: string) => (err.text += s) },
    api: () => new Proxy(api, { get: (t, k) => (t as Record<string | symbol, unknown>)[k] ?? (() => { throw new Error(`unexpected API call ${String(k)}`); }) }),
    configPath: '/nonexistent/cryptvm.toml',
  } as unknown as CliContext;
  return { c, out, err };
}

describe('runCli', () => {
  it('no command: help and exit 2; --help exit 0; unknown command exit 2', async () => {
    const a = ctx();
    expect(await runCli(a.c, [])).toBe(2);
    expect(a.out.text).toContain('Usage: cryptvm COMMAND');
    expect(await runCli(ctx().c, ['--help'])).toBe(0);
    const b = ctx();
    expect(await runCli(b.c, ['frobnicate'])).toBe(2);
    expect(b.err.text).toContain('unknown command "frobnicate"');
  });

  it('guests needs start or stop', async () => {
    const a = ctx();
    expect(await runCli(a.c, ['guests', 'restart'])).toBe(2);
    expect(a.err.text).toContain('unknown guests action "restart"');
  });

  it('passes arguments through and prints API errors as one line, exit 1', async () => {
    const calls: unknown[] = [];
    const a = ctx({
      stopGuests: async (g, w) => void calls.push(['stop', g, w]),
      reload: async () => {
        throw new CryptvmError('Config', '/etc/cryptvm/cryptvm.toml:3: volume#1.device: missing — add device = "…"');
      },
    });
    expect(await runCli(a.c, ['guests', 'stop', 'imap', 'dns', '--wait'])).toBe(0);
    expect(calls).toEqual([['stop', ['imap', 'dns'], true]]);
    expect(await runCli(a.c, ['reload'])).toBe(1);
    expect(a.err.text).toBe('cryptvm reload: /etc/cryptvm/cryptvm.toml:3: volume#1.device: missing — add device = "…"\n');
  });

  it('check-config runs offline and fails on a missing file', async () => {
    const a = ctx();
    expect(await runCli(a.c, ['check-config', '/nonexistent/x.toml'])).toBe(1);
    expect(a.err.text).toContain('/nonexistent/x.toml: (file): cannot read the configuration (ENOENT)');
  });
});
