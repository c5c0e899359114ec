// Asking a human for a passphrase through systemd's password agents (console, plymouth, wall,
// `systemd-tty-ask-password-agent` over SSH, `cryptvm unlock`). The daemon has no TTY, so --no-tty makes
// systemd-ask-password go through the agents only. No --keyname: the kernel keyring cache would outlive the
// answer we wipe and leak across volumes that are not in the same passphrase group.
import type { Runner } from './exec.js';
import { SpawnError } from './exec.js';
import { CryptvmError } from '../errors.js';
import { copySecret, wipe } from '../secret.js';

export interface AskOptions {
  /** Id= of the ask file; `cryptsetup:<device>` for volumes so other agents (clevis) interoperate. */
  id: string;
  message: string;
  icon?: string;
  /** 0 or undefined: wait forever (until answered, cancelled or aborted). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Cached passwords are never accepted (no kernel keyring use). */
  acceptCached?: false;
}

/** The only part of AskPassword the prompt broker needs; tests may pass a stateful fake. */
export interface Asker {
  ask(options: AskOptions): Promise<Buffer>;
}

/** The id systemd-cryptsetup uses for a device, so other agents recognise the question. */
export function askIdForDevice(device: string): string {
  return `cryptsetup:${device}`;
}

// The ask file is line based and systemd 252 does not escape Message=: a newline would corrupt it.
const oneLine = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, ' ');

export class AskPassword implements Asker {
  private readonly bin: string;

  constructor(
    private readonly runner: Runner,
    opts: { bin?: string } = {},
  ) {
    this.bin = opts.bin ?? 'systemd-ask-password';
  }

  /** The typed passphrase, exactly as typed (one trailing newline removed). The caller wipes it. */
  async ask(o: AskOptions): Promise<Buffer> {
    const timeoutMs = o.timeoutMs ?? 0;
    const args = ['--no-tty', `--id=${oneLine(o.id)}`, `--timeout=${Math.ceil(timeoutMs / 1000)}`];
    if (o.icon) args.push(`--icon=${oneLine(o.icon)}`);
    args.push('--', oneLine(o.message));
    const what = `passphrase prompt ${o.id}`;
    let r;
    try {
      // Our own timer is only a safety net behind systemd-ask-password's --timeout; 0 = no timeout at all.
      r = await this.runner.run(this.bin, args, {
        binaryStdout: true,
        secret: true,
        timeoutMs: timeoutMs > 0 ? timeoutMs + 5_000 : 0,
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (e) {
      if (e instanceof SpawnError && e.reason === 'aborted') {
        throw new CryptvmError('Cancelled', `${what} was withdrawn`, { command: e.command, cause: e });
      }
      if (e instanceof SpawnError && e.reason === 'timeout') {
        throw new CryptvmError('Timeout', `${what} was not answered in time`, { command: e.command, cause: e });
      }
      throw new CryptvmError('Failed', `${what}: ${(e as Error).message}`, { cause: e });
    }
    const bytes = r.stdoutBytes ?? Buffer.alloc(0);
    if (r.exitCode !== 0) {
      wipe(bytes);
      const err = r.stderr.trim();
      // systemd-ask-password exits 1 for all of these; only its message tells them apart (ECANCELED / ETIME).
      if (/Operation canceled|cancel/i.test(err)) {
        throw new CryptvmError('Cancelled', `${what} was cancelled`, { command: r.command, exitCode: r.exitCode });
      }
      if (/Timer expired|timed? ?out/i.test(err)) {
        throw new CryptvmError('Timeout', `${what} was not answered in time`, { command: r.command, exitCode: r.exitCode });
      }
      throw new CryptvmError('Failed', `${what} failed: ${err || `exit code ${r.exitCode}`}`, { command: r.command, exitCode: r.exitCode });
    }
    // Strip exactly one trailing newline; spaces are part of the passphrase.
    const len = bytes.length > 0 && bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
    const out = copySecret(bytes, 0, len);
    wipe(bytes);
    return out;
  }
}
