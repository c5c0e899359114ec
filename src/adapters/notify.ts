// sd_notify without a native addon: Node cannot send AF_UNIX datagrams, so spawn `systemd-notify` with raw
// KEY=value assignments (measured on systemd 252: as root the message is attributed to us, so NotifyAccess=main suffices).
// Calls are serialized so STATUS= lines arrive in order. A no-op outside systemd (NOTIFY_SOCKET unset).
import type { Runner } from './exec.js';

export interface Notifier {
  notify(fields: Record<string, string>): Promise<void>;
}

export class SystemdNotifier implements Notifier {
  private queue: Promise<void> = Promise.resolve();
  private lastStatus: string | undefined;

  constructor(
    private readonly runner: Runner,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET);
  }

  notify(fields: Record<string, string>): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const entries = Object.entries(fields).filter(([k, v]) => !(k === 'STATUS' && v === this.lastStatus && Object.keys(fields).length === 1));
    if (entries.length === 0) return this.queue;
    if (fields.STATUS !== undefined) this.lastStatus = fields.STATUS;
    // STATUS text must stay on one line: a newline would start a new assignment.
    const args = entries.map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`);
    this.queue = this.queue.then(async () => {
      try {
        const r = await this.runner.run('systemd-notify', args, { timeoutMs: 10_000, env: { NOTIFY_SOCKET: this.env.NOTIFY_SOCKET ?? '' } });
        if (r.exitCode !== 0) this.onError(new Error(`${r.command} exited ${r.exitCode}: ${r.stderr.trim()}`));
      } catch (e) {
        this.onError(e);
      }
    });
    return this.queue;
  }
}

/** MONOTONIC_USEC for RELOADING=1 (systemd ≥ 253 wants it; older ones ignore it). */
export function monotonicUsec(): string {
  return String(process.hrtime.bigint() / 1000n);
}
