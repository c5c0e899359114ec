// The dispatcher: global options, one command per file, exit codes 0 done / 1 failed / 2 usage.
// Errors print as one line "cryptvm: <message>" — never a stack, never a raw D-Bus error name.
import { parseArgs } from 'node:util';
import { errorMessage } from '../errors.js';
import type { Command } from './command.js';
import { checkConfig } from './commands/check-config.js';
import { doctor } from './commands/doctor.js';
import { guests } from './commands/guests.js';
import { lock } from './commands/lock.js';
import { plan } from './commands/plan.js';
import { reload } from './commands/reload.js';
import { status } from './commands/status.js';
import { unlock } from './commands/unlock.js';
import { wait } from './commands/wait.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, println, UsageError, type CliContext } from './context.js';

// Injected by scripts/bundle.mjs from package.json; unbundled runs (tests) say 'dev'.
declare const __CRYPTVM_VERSION__: string;
export const VERSION = typeof __CRYPTVM_VERSION__ === 'string' ? __CRYPTVM_VERSION__ : 'dev';
export const COMMANDS: Command[] = [status, plan, unlock, lock, guests, reload, doctor, checkConfig, wait];

export function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: cryptvm COMMAND [OPTIONS]',
    '',
    'Client of cryptvmd, which unlocks LUKS volumes at boot and starts the libvirt guests that need them.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Options: --help (also after a command), --version',
    'Exit status: 0 done, 1 failed, 2 usage error.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return `Usage: cryptvm ${c.usage}\n\n${c.summary}${c.help ? `\n\n${c.help}` : ''}`;
}

export async function runCli(ctx: CliContext, argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const c = COMMANDS.find((x) => x.name === rest[0]);
    println(ctx.stdout, c ? commandHelp(c) : mainHelp());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    println(ctx.stdout, `cryptvm ${VERSION}`);
    return EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (!cmd) {
    println(ctx.stderr, `cryptvm: unknown command "${first}"\n\n${mainHelp()}`);
    return EXIT_USAGE;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help) {
      println(ctx.stdout, commandHelp(cmd));
      return EXIT_OK;
    }
    return await cmd.run(ctx, values as Record<string, string | boolean | undefined>, positionals);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    println(ctx.stderr, `cryptvm ${cmd.name}: ${errorMessage(e)}${usage ? `\n\n${commandHelp(cmd)}` : ''}`);
    return usage ? EXIT_USAGE : EXIT_FAIL;
  }
}
