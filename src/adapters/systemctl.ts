// `systemctl is-active` / `is-enabled`, for the CLI's messages and `cryptvm doctor`. Read-only queries:
// their exit code only says "not active/enabled", the word on stdout is the answer.
import type { Runner, RunResult } from './exec.js';

export class Systemctl {
  constructor(private readonly runner: Runner) {}

  private async word(verb: string, unit: string, ...opts: string[]): Promise<string> {
    try {
      const r = await this.runner.run('systemctl', [verb, ...opts, unit], { timeoutMs: 10_000 });
      // e.g. "active", "inactive", "failed", "enabled", "disabled", "masked", "not-found"; nothing when
      // systemd is not PID 1 ("System has not been booted with systemd" on stderr).
      return r.stdout.trim().split('\n')[0] || 'unknown';
    } catch {
      return 'unknown'; // systemctl missing or hung: this only feeds messages
    }
  }

  /** active, inactive, failed, activating, … or unknown. */
  isActive(unit: string): Promise<string> {
    return this.word('is-active', unit);
  }

  /**
   * `systemctl is-system-running`: running, degraded, starting, stopping, … Asks PID 1 over its private
   * socket, so it answers at shutdown when the system bus may already be gone. Throws when it cannot ask.
   */
  async systemState(): Promise<string> {
    const r = await this.runner.run('systemctl', ['is-system-running'], { timeoutMs: 10_000 });
    const word = r.stdout.trim().split('\n')[0];
    if (!word) throw new Error(`${r.command} gave no answer (exit code ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''})`);
    return word;
  }

  /** The unit's TimeoutStopSec as systemd reports it ("30min", "infinity"), or undefined when it cannot say. */
  async timeoutStop(unit: string): Promise<string | undefined> {
    try {
      const r = await this.runner.run('systemctl', ['show', '--property=TimeoutStopUSec', '--value', unit], { timeoutMs: 10_000 });
      return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
    } catch {
      return undefined;
    }
  }

  /** enabled, disabled, static, masked, not-found, … or unknown. */
  isEnabled(unit: string): Promise<string> {
    return this.word('is-enabled', unit);
  }

  /** One property of a unit (`systemctl show -p NAME --value`), e.g. LimitCORE → "0"; unknown without systemd. */
  property(unit: string, name: string): Promise<string> {
    return this.word('show', unit, '-p', name, '--value');
  }

  /**
   * Stops a unit now, ignoring its ordering (`--job-mode=ignore-dependencies`): cryptvmd unmounts its
   * transient mount units, which are ordered Before=cryptvm.service, while its own stop job runs — a normal
   * stop job would wait for that one to finish. Waits for the job; the caller reads the exit code.
   */
  stopNow(unit: string): Promise<RunResult> {
    return this.runner.run('systemctl', ['stop', '--job-mode=ignore-dependencies', '--', unit], { timeoutMs: 90_000 });
  }
}
