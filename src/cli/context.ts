// What every command gets: its streams, the API client (connected lazily: check-config never touches the
// bus), the Runner (only for read-only helpers: systemctl, systemd-reply-password) and the ask directory.
import type { Runner } from '../adapters/exec.js';
import type { Clock } from '../clock.js';
import type { Systemctl } from '../adapters/systemctl.js';
import type { ApiClient } from './client.js';

export interface Output {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface Input extends NodeJS.EventEmitter {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface CliContext {
  stdout: Output;
  stderr: Output;
  stdin: Input;
  api(): ApiClient;
  runner: Runner;
  systemctl: Systemctl;
  /** Password-agent directory (tests use their own). */
  askDir?: string;
  /** Default config path for check-config and doctor. */
  configPath: string;
  /** The clock of the polling loops (unlock, wait, guests start --wait); default: the system's. */
  clock?: Clock;
}

/** Bad command line: exit code 2 with the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

export function println(out: Output, s = ''): void {
  out.write(s + '\n');
}
