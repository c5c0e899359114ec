// [daemon] ready: "unattended" by default, "all" on request, anything else refused with the choices.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { expectOneError, FILE, toml } from './helpers.js';

const load = (text: string) => parseConfig(text, FILE, { checkOwnership: false }).config.daemon.ready;

describe('[daemon] ready', () => {
  it('defaults to "unattended" and takes "all"', () => {
    expect(load('')).toBe('unattended');
    expect(load('[daemon]\nready = "all"\n')).toBe('all');
    expect(load('[daemon]\nready = "unattended"\n')).toBe('unattended');
  });

  it('refuses any other value, naming both', () => {
    expectOneError(toml`
      [daemon]
      ready = "some"
    `, 2, `${FILE}:2: daemon.ready: must be "unattended" or "all", not "some" — write ready = "unattended"`);
  });
});
