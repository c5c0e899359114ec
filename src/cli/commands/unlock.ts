import { listRequests, reply, waitForRequest } from '../../adapters/password-agent.js';
import type { DaemonStatus, UnlockTicket } from '../../api/types.js';
import { systemClock } from '../../clock.js';
import { CryptvmError } from '../../errors.js';
import { copySecret, wipe } from '../../secret.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, type CliContext } from '../context.js';
import { readPassphrase, readStdinPassphrase } from '../passphrase.js';

const REQUEST_WAIT_MS = 30_000;
/** A try is bound by the keyslots' PBKDF (argon2id: seconds each, per volume of the group). */
const OUTCOME_WAIT_MS = 5 * 60_000;
const POLL_MS = 300;

type Outcome = 'open' | 'retry' | 'failed' | 'aborted';

function willStart(s: DaemonStatus, volumes: string[]): string[] {
  return s.guests.filter((g) => g.autostart && g.waitingFor.length > 0 && g.waitingFor.every((v) => volumes.includes(v))).map((g) => g.name);
}

/** After answering: the volumes open, or the daemon asks again (a new request with the same Id), or gives up. */
async function outcome(ctx: CliContext, askId: string, volumes: string[], answered: string): Promise<Outcome> {
  const clock = ctx.clock ?? systemClock;
  const deadline = clock.now() + OUTCOME_WAIT_MS;
  while (clock.now() < deadline) {
    const mine = (await ctx.api().getStatus()).volumes.filter((v) => volumes.includes(v.name));
    if (mine.every((v) => v.state === 'open')) return 'open';
    if ((await listRequests(ctx.askDir)).some((r) => r.id === askId && r.path !== answered)) return 'retry';
    const dead = mine.find((v) => v.state === 'failed' || v.state === 'locked');
    if (dead) {
      println(ctx.stderr, `${dead.name}: not unlocked (${dead.state}${dead.error ? `: ${dead.error}` : ''})`);
      return 'failed';
    }
    await clock.sleep(POLL_MS);
  }
  println(ctx.stderr, `${volumes.join(', ')}: no result after ${OUTCOME_WAIT_MS / 60_000} min; see cryptvm status`);
  return 'failed';
}

/**
 * Acts as the password agent for exactly one request Id until its volumes open or the daemon gives up.
 * `given`: a passphrase read from stdin (--stdin), offered once: a wrong one fails instead of asking again.
 */
async function answer(ctx: CliContext, askId: string, volumes: string[], given?: Buffer): Promise<Outcome> {
  let answered = '';
  for (;;) {
    const req = await waitForRequest((r) => r.id === askId && r.path !== answered, { timeoutMs: REQUEST_WAIT_MS, dir: ctx.askDir }).catch(async (e) => {
      const s = await ctx.api().getStatus();
      if (s.volumes.filter((v) => volumes.includes(v.name)).every((v) => v.state === 'open')) return undefined; // answered elsewhere
      throw new CryptvmError('Timeout', `cryptvmd did not ask for the passphrase of ${volumes.join(', ')} (${askId}); see cryptvm status`, { cause: e });
    });
    if (!req) return 'open';
    if (given && answered) {
      println(ctx.stderr, `${volumes.join(', ')}: wrong passphrase (the request stays pending)`);
      return 'failed';
    }
    const secret = given ? copySecret(given) : await readPassphrase(ctx.stdin, ctx.stdout, req.message || `Passphrase for ${volumes.join(', ')}:`);
    if (!secret) return 'aborted';
    try {
      await reply(req, secret, ctx.runner);
    } finally {
      wipe(secret);
    }
    answered = req.path;
    const result = await outcome(ctx, askId, volumes, answered);
    if (result !== 'retry') return result;
    println(ctx.stderr, 'wrong passphrase, try again');
  }
}

/**
 * Volumes the daemon retried without asking anyone (key file, token, clevis, https: sources): how each ended.
 * True when all of them opened.
 */
async function reportRetried(ctx: CliContext, retried: string[]): Promise<boolean> {
  if (retried.length === 0) return true;
  let ok = true;
  for (const v of (await ctx.api().getStatus()).volumes.filter((x) => retried.includes(x.name))) {
    if (v.state === 'open') println(ctx.stdout, `${v.name}: unlocked${v.keySource ? ` (${v.keySource})` : ''}`);
    else {
      ok = false;
      println(ctx.stderr, `${v.name}: not unlocked (${v.state}${v.error ? `: ${v.error}` : ''})`);
    }
  }
  return ok;
}

/** Unlocks the named (or all waiting) volumes; `given` is the --stdin passphrase, else the terminal asks. */
export async function unlockAll(ctx: CliContext, names: string[], given: Buffer | undefined): Promise<number> {
  // Without names the daemon retries every volume that is not open: remember which those are.
  const targets = names.length > 0 ? names : (await ctx.api().getStatus()).volumes.filter((v) => v.state !== 'open' && !v.removed).map((v) => v.name);
  const tickets = await ctx.api().unlock(names);
  const prompted = new Set(tickets.map((t) => t.volume));
  const retriedOk = await reportRetried(ctx, targets.filter((n) => !prompted.has(n)));
  if (!tickets.length) {
    if (targets.length === 0) println(ctx.stdout, 'nothing to unlock: every volume is open');
    return retriedOk ? EXIT_OK : EXIT_FAIL;
  }
  // One request may cover several volumes (a passphrase group): answer each Id once.
  const byId = new Map<string, string[]>();
  for (const t of tickets as UnlockTicket[]) byId.set(t.askId, [...(byId.get(t.askId) ?? []), t.volume]);
  const starting = willStart(await ctx.api().getStatus(), tickets.map((t) => t.volume));
  if (starting.length) println(ctx.stdout, `guests that will start once unlocked: ${starting.join(', ')}`);
  let failed = !retriedOk;
  for (const [askId, volumes] of byId) {
    const result = await answer(ctx, askId, volumes, given);
    if (result === 'aborted') {
      println(ctx.stderr, `aborted: the passphrase request for ${volumes.join(', ')} stays pending (cryptvm unlock again, or systemd-tty-ask-password-agent)`);
      return EXIT_FAIL;
    }
    if (result === 'open') println(ctx.stdout, `${volumes.join(', ')}: unlocked`);
    else failed = true;
  }
  return failed ? EXIT_FAIL : EXIT_OK;
}

export const unlock: Command = {
  name: 'unlock',
  summary: 'type the passphrase of locked volumes (all when none named)',
  usage: 'unlock [--stdin] [VOLUME…]',
  help: [
    '  Asks the daemon to request the passphrases, then answers those requests from this terminal.',
    '  The passphrase goes to the daemon through systemd\'s password-agent socket, never over D-Bus.',
    '  --stdin  read one passphrase from standard input instead (one trailing newline is dropped) and',
    '           offer it to every named volume once; a wrong one exits 1 and leaves the request pending.',
    '           For scripts and `… | ssh HOST cryptvm unlock --stdin VOLUME`.',
  ].join('\n'),
  options: { stdin: { type: 'boolean' } },
  async run(ctx, values, names) {
    if (!values.stdin && !ctx.stdin.isTTY) {
      throw new CryptvmError('InvalidArgs', 'cryptvm unlock reads the passphrase from a terminal; without one, pipe it in with --stdin or answer with systemd-tty-ask-password-agent --query');
    }
    const given = values.stdin ? await readStdinPassphrase(ctx.stdin) : undefined;
    try {
      return await unlockAll(ctx, names, given);
    } finally {
      if (given) wipe(given);
    }
  },
};
