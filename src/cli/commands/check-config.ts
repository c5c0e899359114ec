import { ConfigError, formatProblem, loadConfig } from '../../config/index.js';
import type { Command } from '../command.js';
import { EXIT_FAIL, EXIT_OK, println, UsageError } from '../context.js';

export const checkConfig: Command = {
  name: 'check-config',
  summary: 'validate a config file offline (no daemon needed)',
  usage: 'check-config [FILE]',
  help: '  FILE defaults to /etc/cryptvm/cryptvm.toml. Prints every problem with its line and a fix;\n  exit 1 when the daemon would refuse the file.',
  options: {},
  async run(ctx, _values, args) {
    if (args.length > 1) throw new UsageError('check-config takes at most one FILE');
    const file = args[0] ?? ctx.configPath;
    try {
      const { config, warnings } = loadConfig(file);
      for (const w of warnings) println(ctx.stderr, formatProblem(w));
      println(ctx.stdout, `${file}: OK (${config.volumes.length} volumes, ${config.guests.length} guests${warnings.length ? `, ${warnings.length} warnings` : ''})`);
      return EXIT_OK;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const p of e.problems) println(ctx.stderr, formatProblem(p));
      println(ctx.stderr, `${file}: ${e.problems.filter((p) => p.severity === 'error').length} errors; cryptvmd would refuse this file`);
      return EXIT_FAIL;
    }
  },
};
