import { systemClock } from '../../clock.js';
import { loadConfig } from '../../config/index.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { DAEMON_DEFAULTS } from '../../config/resolve-daemon.js';
import { CryptvmError } from '../../errors.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, UsageError, type CliContext } from '../context.js';

/** Beyond boot_wait: the daemon ends the wait itself at boot_wait; this only bounds a daemon that hangs. */
const MARGIN_MS = 60_000;
/** The daemon takes its bus name while boot begins, without waiting for it: a very fast READY may come first. */
const NAME_GRACE_MS = 15_000;

const clock = (ctx: CliContext) => ctx.clock ?? systemClock;

async function status(ctx: CliContext, started: number) {
  for (;;) {
    try {
      return await ctx.api().getStatus();
    } catch (e) {
      if (!(e instanceof CryptvmError && e.code === 'NotFound') || clock(ctx).now() - started > NAME_GRACE_MS) throw e;
      await clock(ctx).sleep(500);
    }
  }
}

function defaultTimeout(ctx: CliContext): number {
  try {
    return loadConfig(ctx.configPath).config.daemon.bootWaitMs + MARGIN_MS;
  } catch {
    return DAEMON_DEFAULTS.bootWaitMs + MARGIN_MS;
  }
}

/**
 * `cryptvm wait --prompts` (cryptvm-ask.service, ordered before systemd-user-sessions and the wall agent): keeps
 * logins back and the password prompt on the console while boot may still need a person there. READY=1 no
 * longer waits for passphrases, so this is what holds the console now.
 */
export const wait: Command = {
  name: 'wait',
  summary: 'wait until boot no longer needs the console for a passphrase (cryptvm-ask.service)',
  usage: 'wait --prompts [--timeout DURATION]',
  help: [
    '  --prompts   return once no volume may still ask a person at boot: every volume is open, gave up, or',
    '              boot_wait has passed (the daemon decides; cryptvm-ask.service runs this)',
    '  --timeout   give up after this long (default: boot_wait from the config plus 1min)',
  ].join('\n'),
  options: { prompts: { type: 'boolean' }, timeout: { type: 'string' } },
  async run(ctx, values) {
    if (!values.prompts) throw new UsageError('wait needs --prompts');
    const timeoutMs = typeof values.timeout === 'string' ? parseDuration(values.timeout) : defaultTimeout(ctx);
    if (timeoutMs === undefined) throw new UsageError(`--timeout ${JSON.stringify(values.timeout)} is not a duration; write it like "90s" or "5min"`);
    const started = clock(ctx).now();
    const deadline = started + timeoutMs;
    let said = '';
    for (;;) {
      const s = await status(ctx, started);
      const waiting = s.phase === 'stopping' ? [] : (s.consoleWait ?? []);
      if (waiting.length === 0) {
        println(ctx.stdout, said ? 'no volume waits for a passphrase at the console any more' : 'no volume waits for a passphrase at the console');
        return EXIT_OK;
      }
      const now = waiting.join(', ');
      if (now !== said) println(ctx.stdout, `waiting for a passphrase at the console: ${now} (logins wait until it is answered or boot_wait passes)`);
      said = now;
      if (clock(ctx).now() > deadline) {
        println(ctx.stderr, `gave up after ${formatDuration(timeoutMs)}: cryptvmd still says ${now} may need a passphrase; logins go ahead (answer later with cryptvm unlock)`);
        return EXIT_FAIL;
      }
      await clock(ctx).sleep(500);
    }
  },
};
