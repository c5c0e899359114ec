// cryptvmd's command line: --config PATH, --version, --help.
import { parseArgs } from 'node:util';

export const DEFAULT_CONFIG = '/etc/cryptvm/cryptvm.toml';

export type DaemonArgs = { kind: 'run'; config: string } | { kind: 'version' } | { kind: 'help' } | { kind: 'usage'; message: string };

export const USAGE = `Usage: cryptvmd [--config PATH]

Opens the LUKS volumes of cryptvm.toml at boot, then starts the libvirt guests that need them; at stop,
stops those guests and closes the volumes. Normally run by cryptvm.service, see cryptvmd(8).

  -c, --config PATH   configuration file (default ${DEFAULT_CONFIG})
      --version       print the version and exit
  -h, --help          print this help and exit`;

export function parseDaemonArgs(argv: string[]): DaemonArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) return { kind: 'help' };
    if (values.version) return { kind: 'version' };
    return { kind: 'run', config: values.config ?? DEFAULT_CONFIG };
  } catch (e) {
    return { kind: 'usage', message: (e as Error).message };
  }
}
