import type { Command } from '../command.js';
import { EXIT_OK, println, UsageError } from '../context.js';

export const lock: Command = {
  name: 'lock',
  summary: 'close a volume (after stopping its guests with --stop-guests)',
  usage: 'lock VOLUME [--stop-guests]',
  help: '  --stop-guests   shut down the running guests on VOLUME first (else lock refuses while one runs)',
  options: { 'stop-guests': { type: 'boolean' } },
  async run(ctx, values, args) {
    if (args.length !== 1) throw new UsageError('lock takes exactly one VOLUME');
    const [volume] = args as [string];
    await ctx.api().lock(volume, Boolean(values['stop-guests']));
    println(ctx.stdout, `${volume} is closed`);
    return EXIT_OK;
  },
};
