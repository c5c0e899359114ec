// One file per command; each declares its options for node:util parseArgs and its help text.
import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './context.js';

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after "cryptvm ", e.g. "lock VOLUME [--stop-guests]". */
  usage: string;
  /** Longer help: options and behaviour. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CliContext, values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}
