import type { Command } from '../command.js';
import { EXIT_OK, println, UsageError } from '../context.js';

export const reload: Command = {
  name: 'reload',
  summary: 're-read the daemon config (the old one stays when the new one is bad)',
  usage: 'reload',
  help: '',
  options: {},
  async run(ctx, _values, args) {
    if (args.length) throw new UsageError('reload takes no arguments');
    await ctx.api().reload();
    println(ctx.stdout, 'configuration reloaded');
    return EXIT_OK;
  },
};
