// Which guests wait to be started (after a late unlock), kept in the runtime directory so that a daemon
// restart — or a crash and Restart=on-failure — does not forget them. Names only; never secrets.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WantedStore {
  load(): string[];
  save(names: string[]): void;
}

export class RuntimeWantedStore implements WantedStore {
  private readonly path: string;

  constructor(private readonly dir: string, private readonly onError: (e: unknown) => void = () => {}) {
    this.path = join(dir, 'wanted-guests.json');
  }

  load(): string[] {
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as { wanted?: unknown };
      return Array.isArray(data.wanted) ? data.wanted.filter((n): n is string => typeof n === 'string') : [];
    } catch {
      return []; // first start of this boot, or unreadable: nothing waits
    }
  }

  save(names: string[]): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `${JSON.stringify({ wanted: names })}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (e) {
      this.onError(e);
    }
  }
}
