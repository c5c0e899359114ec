// cryptvm CLI entry point: wires the real streams, system bus and runner, then exits with runCli's code.
// First import: SIGUSR1 does nothing (never the inspector, see sigusr1.ts) — the CLI runs as root too.
import '../sigusr1.js';
import { ProcessRunner } from '../adapters/exec.js';
import { Systemctl } from '../adapters/systemctl.js';
import { connectApi, type ApiClient } from '../cli/client.js';
import type { CliContext } from '../cli/context.js';
import { runCli } from '../cli/run.js';

const runner = new ProcessRunner();
const systemctl = new Systemctl(runner);
let client: ApiClient | undefined;

const ctx: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  runner,
  systemctl,
  configPath: process.env.CRYPTVM_CONFIG ?? '/etc/cryptvm/cryptvm.toml',
  api: () => (client ??= connectApi({ unitState: () => systemctl.isActive('cryptvm.service') })),
};

const code = await runCli(ctx, process.argv.slice(2));
client?.close();
// The bus connection and stdin keep the loop alive; the command is done.
process.exit(code);
