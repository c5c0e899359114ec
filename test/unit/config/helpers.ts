// Shared by the config tests: parse inline TOML and get the ConfigError it must raise.

import { expect } from 'vitest';
import { ConfigError, parseConfig, type LoadOptions } from '../../../src/config/index.js';

export const FILE = '/etc/cryptvm/cryptvm.toml';

/** Dedent a template literal so TOML in tests can be indented with the code; line 1 is the first line. */
export function toml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indent = Math.min(...text.split('\n').filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return text.split('\n').map((l) => l.slice(indent)).join('\n');
}

export function refuse(text: string, opts: LoadOptions = { checkOwnership: false }): ConfigError {
  try {
    parseConfig(text, FILE, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('Config');
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

/** The file is refused with exactly one error: this line of text, on this line number. */
export function expectOneError(text: string, line: number, message: string): void {
  const err = refuse(text);
  expect(err.message).toBe(message);
  expect(err.problems.map((p) => p.line)).toEqual([line]);
  expect(err.problems[0]?.severity).toBe('error');
}

export interface BadCase {
  name: string;
  text: string;
  line: number;
  message: string;
}
