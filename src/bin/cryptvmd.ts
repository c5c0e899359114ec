// cryptvmd: the process. Arguments, the configuration file, the system bus, signals and exit codes; the
// daemon itself is composed by src/wiring/daemon.ts over the real host (src/wiring/host.ts).
// First import: SIGUSR1 must not start the inspector even while the other modules load.
import { onSigusr1 } from '../sigusr1.js';
import dbus from 'dbus-next';
import { ProcessRunner } from '../adapters/exec.js';
import { systemClock } from '../clock.js';
import { loadConfig, ConfigError, formatProblem } from '../config/index.js';
import type { Config } from '../config/types.js';
import { startApi } from '../dbus/service.js';
import { errorMessage } from '../errors.js';
import { KeyslotHints } from '../keys/hints.js';
import { createLogger, type Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { VERSION } from '../version.js';
import { realHost } from '../wiring/host.js';
import { wireDaemon } from '../wiring/daemon.js';
import { parseDaemonArgs, USAGE } from './cryptvmd-args.js';

/** Gather for a second: volumes of one group reach the prompt at different times (device, LUKS checks). */
const GATHER_MS = 1_000;

function loadOrExit(path: string, log: Logger): Config {
  const { config, warnings } = loadConfig(path, { checkOwnership: process.getuid?.() === 0 });
  for (const w of warnings) log.warn({ line: w.line, key: w.key }, formatProblem(w));
  return config;
}

function connectBus(log: Logger): dbus.MessageBus | undefined {
  try {
    const bus = dbus.systemBus();
    bus.on('error', (e: unknown) => log.error({ err: e }, 'system bus connection error'));
    return bus;
  } catch (e) {
    log.warn({ err: e }, 'no system bus: running without the cryptvm API and without systemd job detection');
    return undefined;
  }
}

async function main(): Promise<number> {
  const args = parseDaemonArgs(process.argv.slice(2));
  if (args.kind === 'help') return void console.log(USAGE), 0;
  if (args.kind === 'version') return void console.log(`cryptvmd ${VERSION}`), 0;
  if (args.kind === 'usage') return void console.error(`cryptvmd: ${args.message}\n\n${USAGE}`), 2;

  const log = createLogger();
  let config: Config;
  try {
    config = loadOrExit(args.config, log);
  } catch (e) {
    // One message with every problem; systemd shows it in `systemctl status cryptvm`.
    if (e instanceof ConfigError) log.error(ev('config-refused', { problems: e.problems.length }), `configuration refused:\n${e.message}`);
    else log.error({ err: e }, errorMessage(e));
    return 1;
  }
  log.info(ev('daemon-starting', { version: VERSION, config: config.path, volumes: config.volumes.length, guests: config.guests.length }), 'starting');

  const runner = new ProcessRunner();
  const hints = new KeyslotHints(config.daemon.stateDir, log);
  await hints.load();
  const bus = connectBus(log);
  const { daemon: d, fleet } = wireDaemon({
    config,
    host: realHost({ runner, config, log, clock: systemClock, bus }),
    log,
    clock: systemClock,
    loadConfig: (path) => loadOrExit(path, log),
    hints,
    gatherMs: GATHER_MS,
    fleet: { runner, version: VERSION },
  });

  // The API comes up while boot begins, so `cryptvm status` and `cryptvm unlock` work while boot waits;
  // boot never waits for it (a broken bus must not hold the volumes and libvirtd back).
  const api = bus ? startApi(d, { bus, log }).catch((e: unknown) => void log.error({ err: e }, errorMessage(e))) : undefined;

  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const onTerm = () => {
      if (stopping) return;
      stopping = true;
      log.info('stop requested');
      d.stop()
        .catch((e: unknown) => log.error({ err: e }, errorMessage(e)))
        .finally(resolve);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
  });
  // SIGUSR1: one journal line with the state of every volume and guest (never the inspector, see sigusr1.ts).
  onSigusr1(() => {
    const s = d.status();
    log.info({ phase: s.phase, volumes: s.volumes.map((v) => `${v.name}=${v.state}`), guests: s.guests.map((g) => `${g.name}=${g.state}`) }, `status: ${s.status}`);
  });
  process.on('SIGHUP', () => {
    d.reload().catch((e: unknown) => log.error(ev('config-refused', { err: e }), `reload refused, keeping the running configuration:\n${errorMessage(e)}`));
  });

  d.boot().catch((e: unknown) => log.error({ err: e }, `boot failed: ${errorMessage(e)}`));
  await stopped;
  await fleet?.stop().catch((e: unknown) => log.warn({ err: e }, errorMessage(e)));
  await (await api)?.stop().catch(() => undefined);
  bus?.disconnect();
  log.info(ev('daemon-stopped'), 'stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`cryptvmd: ${errorMessage(e)}`);
    process.exit(1);
  },
);
