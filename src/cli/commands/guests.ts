import type { GuestStatus } from '../../api/types.js';
import { systemClock } from '../../clock.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, UsageError, type CliContext } from '../context.js';

const START_WAIT_MS = 10 * 60_000;

/** After StartGuests: poll until the guests run; guests waiting for a locked volume are reported, not awaited. */
async function waitStarted(ctx: CliContext, names: string[]): Promise<number> {
  const clock = ctx.clock ?? systemClock;
  const deadline = clock.now() + START_WAIT_MS;
  for (;;) {
    const all = (await ctx.api().getStatus()).guests;
    const mine = all.filter((g) => (names.length ? names.includes(g.name) : g.autostart));
    const pending = mine.filter((g) => g.state !== 'running' && g.waitingFor.length === 0 && !g.error);
    if (pending.length === 0 || clock.now() > deadline) return report(ctx, mine);
    await clock.sleep(500);
  }
}

function report(ctx: CliContext, guests: GuestStatus[]): number {
  let ok = true;
  for (const g of guests) {
    if (g.state === 'running') println(ctx.stdout, `${g.name}: running`);
    else if (g.waitingFor.length) println(ctx.stdout, `${g.name}: waiting for ${g.waitingFor.join(', ')} (run: cryptvm unlock)`);
    else {
      ok = false;
      println(ctx.stderr, `${g.name}: ${g.state}${g.error ? ` — ${g.error}` : ''}`);
    }
  }
  return ok ? EXIT_OK : EXIT_FAIL;
}

export const guests: Command = {
  name: 'guests',
  summary: 'start or stop the guests cryptvm manages',
  usage: 'guests start [GUEST…] [--wait]\n       cryptvm guests stop [GUEST…] [--wait]',
  help: '  With no GUEST: all autostart guests (start) or all gated guests (stop).\n  --wait   return only when the guests are running (start) or off (stop)',
  options: { wait: { type: 'boolean' } },
  async run(ctx, values, args) {
    const [verb, ...names] = args;
    const wait = Boolean(values.wait);
    if (verb === 'start') {
      await ctx.api().startGuests(names);
      if (wait) return waitStarted(ctx, names);
      println(ctx.stdout, 'guests are starting (or will as soon as their volumes open)');
      return EXIT_OK;
    }
    if (verb === 'stop') {
      await ctx.api().stopGuests(names, wait);
      println(ctx.stdout, wait ? 'guests are off' : 'guests are shutting down');
      return EXIT_OK;
    }
    throw new UsageError(verb ? `unknown guests action "${verb}": use start or stop` : 'guests needs an action: start or stop');
  },
};
