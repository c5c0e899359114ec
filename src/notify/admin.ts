// [notify] command: tell a person that this host needs them (a volume waits for a passphrase, boot went on
// with volumes locked, a guest was destroyed or did not start) or that it no longer does (all volumes open).
// The command runs through the Runner (argv, no shell) with the event in its environment, never a secret.
// It is fire-and-forget for its callers: tell() returns at once, commands run one after the other in the
// background (in order), each killed after its timeout; a failure is logged, never thrown.
import { hostname } from 'node:os';
import { SpawnError, type Runner } from '../adapters/exec.js';
import type { Logger } from '../log/logger.js';

export type AdminEvent = 'volume-waiting' | 'boot-wait-passed' | 'all-open' | 'guest-destroyed' | 'guest-start-failed';

export interface AdminMessage {
  volumes?: string[];
  guests?: string[];
  /** One line for a human; names and states only. */
  message: string;
}

export interface AdminNotifierDeps {
  runner: Runner;
  log: Logger;
  /** Read at each event, so a reload's [notify] applies. */
  settings(): { command: string[] | undefined; timeoutMs: number } | undefined;
  host?: string;
}

export class AdminNotifier {
  private queue: Promise<void> = Promise.resolve();
  private readonly host: string;

  constructor(private readonly deps: AdminNotifierDeps) {
    this.host = deps.host ?? hostname();
  }

  tell(event: AdminEvent, m: AdminMessage): void {
    const s = this.deps.settings();
    const cmd = s?.command;
    if (!s || !cmd || cmd.length === 0) return;
    const env = {
      CRYPTVM_EVENT: event,
      CRYPTVM_HOST: this.host,
      CRYPTVM_VOLUMES: (m.volumes ?? []).join(' '),
      CRYPTVM_GUESTS: (m.guests ?? []).join(' '),
      CRYPTVM_MESSAGE: m.message.replace(/[\r\n]+/g, ' '),
      // The command is not part of the service's readiness protocol.
      NOTIFY_SOCKET: '',
    };
    this.queue = this.queue.then(() => this.run(cmd, env, s.timeoutMs, event));
  }

  /** Resolves when every command told so far has finished (or was killed at its timeout). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async run(cmd: string[], env: Record<string, string>, timeoutMs: number, event: AdminEvent): Promise<void> {
    const log = this.deps.log.child({ event, command: cmd[0] });
    try {
      const r = await this.deps.runner.run(cmd[0]!, cmd.slice(1), { env, timeoutMs });
      if (r.exitCode !== 0) log.warn({ exitCode: r.exitCode, stderr: r.stderr.trim().slice(0, 500) }, `notify command ${r.command} failed with exit code ${r.exitCode}`);
      else log.debug('notify command ran');
    } catch (e) {
      const why = e instanceof SpawnError && e.reason === 'timeout' ? `did not finish within ${timeoutMs / 1000}s and was killed` : e instanceof Error ? e.message : String(e);
      log.warn({ err: e instanceof Error ? e.message : String(e) }, `notify command ${why}`);
    }
  }
}
