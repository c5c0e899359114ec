// Every problem in a config file, reported all at once in the form administrators know from compilers:
//   /etc/cryptvm/cryptvm.toml:12: volume#2.device: "dev/sdb" is a relative path — write the absolute path …
// Errors refuse the whole file (anything touching safety); warnings replace a tuning value by its default.

import { CryptvmError } from '../errors.js';

export type Severity = 'error' | 'warning';

export interface ConfigProblem {
  /** 1-based line in the file; 0 when the problem is about the file as a whole. */
  line: number;
  /** Where in the file, e.g. "daemon.boot_wait", "volume#2.keys[1]", "guest#1.after". */
  key: string;
  message: string;
  fix: string;
  severity: Severity;
  /** The file, so a problem formats on its own. */
  file: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  const level = p.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${level}${p.key}: ${p.message} — ${p.fix}`;
}

export class ConfigError extends CryptvmError {
  override name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super('Config', problems.map(formatProblem).join('\n'));
  }
}

/** Collects problems while the loader walks the file; `at(key)` looks the line up once. */
export class Problems {
  readonly list: ConfigProblem[] = [];
  constructor(
    readonly file: string,
    readonly lineOf: (key: string) => number,
  ) {}

  error(key: string, message: string, fix: string, line = this.lineOf(key)): void {
    this.list.push({ line, key, message, fix, severity: 'error', file: this.file });
  }

  warn(key: string, message: string, fix: string, line = this.lineOf(key)): void {
    this.list.push({ line, key, message, fix, severity: 'warning', file: this.file });
  }

  get errors(): ConfigProblem[] {
    return this.list.filter((p) => p.severity === 'error');
  }

  get warnings(): ConfigProblem[] {
    return this.list.filter((p) => p.severity === 'warning');
  }
}
