// The AGENT side of systemd's password-agent protocol (https://systemd.io/PASSWORD_AGENTS/): find the
// pending questions (`ask.*` INI files in /run/systemd/ask-password) and answer them. `cryptvm unlock`
// answers the daemon's own prompts with this, and the tests use it as their agent.
// Node cannot send AF_UNIX datagrams, so the answer goes through systemd's own helper,
// `systemd-reply-password 1 <socket>`, with the passphrase on its stdin (never in argv).
import { watch, type FSWatcher } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from './exec.js';
import { CryptvmError } from '../errors.js';
import { secretBuffer, wipe } from '../secret.js';

export const ASK_DIR = '/run/systemd/ask-password';

export interface AskRequest {
  /** Full path of the ask.* file. */
  path: string;
  pid: number;
  /** AF_UNIX datagram socket the answer goes to. */
  socket: string;
  acceptCached: boolean;
  echo: boolean;
  /** CLOCK_MONOTONIC deadline in µs; 0n = no deadline. */
  notAfterUs: bigint;
  message: string;
  id: string | undefined;
  icon: string | undefined;
}

/** CLOCK_MONOTONIC in µs: libuv's hrtime is CLOCK_MONOTONIC on Linux, the clock NotAfter= uses. */
export function monotonicUs(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/**
 * Parse one ask file. systemd ≤ 252 writes Message= unescaped, so values are taken verbatim up to the end of
 * their line. Returns undefined when the mandatory Socket= or PID= is missing (a half-written or foreign file).
 */
export function parseAskFile(text: string, path: string): AskRequest | undefined {
  const kv = new Map<string, string>();
  let inAsk = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('[')) {
      inAsk = line.trim() === '[Ask]';
      continue;
    }
    const eq = line.indexOf('=');
    if (!inAsk || eq <= 0) continue;
    kv.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  const pid = Number(kv.get('PID'));
  const socket = kv.get('Socket');
  if (!Number.isInteger(pid) || pid <= 0 || !socket) return undefined;
  let notAfterUs = 0n;
  try {
    notAfterUs = BigInt(kv.get('NotAfter') ?? '0');
  } catch {
    notAfterUs = 0n;
  }
  return {
    path,
    pid,
    socket,
    acceptCached: kv.get('AcceptCached') === '1',
    echo: kv.get('Echo') === '1',
    notAfterUs,
    message: kv.get('Message') ?? '',
    id: kv.get('Id'),
    icon: kv.get('Icon'),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still a live asker.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pending questions, oldest file name order; expired (NotAfter passed) and orphaned (dead PID) ones skipped. */
export async function listRequests(dir: string = ASK_DIR): Promise<AskRequest[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CryptvmError('Failed', `cannot read ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const now = monotonicUs();
  const out: AskRequest[] = [];
  for (const name of names.filter((n) => n.startsWith('ask.')).sort()) {
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch {
      continue; // answered and removed between readdir and read
    }
    const req = parseAskFile(text, join(dir, name));
    if (!req) continue;
    if (req.notAfterUs > 0n && req.notAfterUs < now) continue;
    if (!pidAlive(req.pid)) continue;
    out.push(req);
  }
  return out;
}

const REPLY_CANDIDATES = ['/lib/systemd/systemd-reply-password', '/usr/lib/systemd/systemd-reply-password'];

/** Debian keeps it in /lib/systemd, Fedora/openSUSE in /usr/lib/systemd. */
export async function findReplyPassword(): Promise<string> {
  for (const p of REPLY_CANDIDATES) {
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new CryptvmError('NotFound', `systemd-reply-password not found in ${REPLY_CANDIDATES.join(' or ')}; install systemd`);
}

/**
 * Answer a request with `secret`, or cancel it when `secret` is null. The secret is not wiped here (the
 * caller owns it); the copy with the newline framing is.
 */
export async function reply(req: AskRequest, secret: Buffer | null, runner: Runner, opts: { bin?: string } = {}): Promise<void> {
  const bin = opts.bin ?? (await findReplyPassword());
  const what = req.id ? `ask request ${req.id}` : `ask request ${req.path}`;
  // systemd-reply-password reads ONE line: a newline or NUL inside the secret would silently truncate it.
  if (secret && (secret.includes(0x0a) || secret.includes(0x00))) {
    throw new CryptvmError('InvalidArgs', `cannot answer ${what}: the passphrase contains a newline or NUL byte, which password agents cannot carry`);
  }
  const input = secretBuffer(secret ? secret.length + 1 : 0);
  if (secret) {
    input.set(secret); // the whole array: no view of its ArrayBuffer (src/secret.ts)
    input[secret.length] = 0x0a;
  }
  try {
    const r = await runner.run(bin, [secret ? '1' : '0', req.socket], { input, secret: true, timeoutMs: 10_000 });
    if (r.exitCode !== 0) {
      throw new CryptvmError('Failed', `cannot answer ${what} (the prompt may have ended): ${r.stderr.trim()}`, {
        command: r.command,
        exitCode: r.exitCode,
      });
    }
  } finally {
    wipe(input);
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  dir?: string;
  /** Fallback poll, for missed inotify events (directory created later, overlay filesystems). */
  pollMs?: number;
}

/** Resolve with the first pending request matching `predicate`; rescans on inotify events and every pollMs. */
export function waitForRequest(predicate: (r: AskRequest) => boolean, opts: WaitOptions = {}): Promise<AskRequest> {
  const dir = opts.dir ?? ASK_DIR;
  return new Promise<AskRequest>((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    let done = false;
    let scanning = false;
    let again = false;
    const finish = (err: Error | undefined, req?: AskRequest): void => {
      if (done) return;
      done = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      watcher?.close();
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(req as AskRequest);
    };
    const scan = async (): Promise<void> => {
      if (scanning) {
        again = true; // coalesce bursts of events into one more scan
        return;
      }
      scanning = true;
      try {
        do {
          again = false;
          const found = (await listRequests(dir)).find(predicate);
          if (found) return finish(undefined, found);
        } while (again && !done);
      } catch (e) {
        finish(e as Error);
      } finally {
        scanning = false;
      }
    };
    const onAbort = (): void => finish(new CryptvmError('Cancelled', `stopped waiting for a password request in ${dir}`));
    const poll = setInterval(() => void scan(), opts.pollMs ?? 500);
    const timer = opts.timeoutMs
      ? setTimeout(() => finish(new CryptvmError('Timeout', `no matching password request in ${dir} within ${opts.timeoutMs} ms`)), opts.timeoutMs)
      : undefined;
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(dir, () => void scan());
      watcher.on('error', () => watcher?.close()); // the poll carries on
    } catch {
      // directory missing: the poll finds it once it exists
    }
    void scan();
  });
}
