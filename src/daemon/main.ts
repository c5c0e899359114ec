// cryptvmd: the composition root. Builds the adapters, the managers and the daemon, owns the process
// lifecycle (signals, exit codes). Everything interesting lives in daemon.ts, volumes.ts and guests.ts.
// First import: SIGUSR1 must not start the inspector even while the other modules load.
import { onSigusr1 } from '../sigusr1.js';
import dbus from 'dbus-next';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { ProcessRunner } from '../adapters/exec.js';
import { Cryptsetup } from '../adapters/cryptsetup.js';
import { DeviceMapper } from '../adapters/dm.js';
import { Devices } from '../adapters/devices.js';
import { Mounts } from '../adapters/mount.js';
import { Systemctl } from '../adapters/systemctl.js';
import { QEMU_SAVE_DIR, Virsh } from '../adapters/virsh.js';
import { onEncryptedStorage } from '../adapters/blockdev.js';
import { AskPassword, type Asker } from '../adapters/askpass.js';
import { SystemdNotifier } from '../adapters/notify.js';
import { SystemdUnits } from '../adapters/systemd.js';
import { loadConfig, ConfigError, formatProblem } from '../config/index.js';
import type { Config } from '../config/types.js';
import { startApi } from '../dbus/service.js';
import { PromptBroker } from '../keys/broker.js';
import { buildSources } from '../keys/chain.js';
import { PromptSource } from '../keys/prompt.js';
import { KeyslotHints } from '../keys/hints.js';
import { CryptsetupToken } from '../adapters/cryptsetup-token.js';
import { Clevis } from '../adapters/clevis.js';
import { createLogger, type Logger } from '../log/logger.js';
import { errorMessage } from '../errors.js';
import { monotonicNow } from '../clock.js';
import { VERSION } from '../version.js';
import { parseDaemonArgs, USAGE } from './args.js';
import { Daemon } from './daemon.js';
import { GuestManager } from './guests.js';
import { discoverAutostartGuests } from './autostart.js';
import { readMachine } from './machine.js';
import { VolumeManager } from './volumes.js';
import { HolderCache } from './holders.js';
import { RuntimeWantedStore } from './wanted-store.js';
import { FleetWatch } from '../metrics/fleet.js';

const sleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal });

function loadOrExit(path: string, log: Logger): Config {
  const { config, warnings } = loadConfig(path, { checkOwnership: process.getuid?.() === 0 });
  for (const w of warnings) log.warn({ line: w.line, key: w.key }, formatProblem(w));
  return config;
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
    if (e instanceof ConfigError) log.error({ problems: e.problems.length }, `configuration refused:\n${e.message}`);
    else log.error({ err: e }, errorMessage(e));
    return 1;
  }
  log.info({ version: VERSION, config: config.path, volumes: config.volumes.length, guests: config.guests.length }, 'starting');

  const runner = new ProcessRunner();
  const systemctl = new Systemctl(runner);
  const systemd = new SystemdNotifier(runner, process.env, (e) => log.warn({ err: errorMessage(e) }, 'sd_notify failed'));
  // Metrics and [notify] watch the daemon from outside: its status, READY=1, and two hooks below.
  let fleet: FleetWatch | undefined;
  const notifier = {
    notify: async (fields: Record<string, string>) => {
      await systemd.notify(fields);
      if (fields.READY === '1') fleet?.ready();
    },
  };
  const cryptsetup = new Cryptsetup(runner);
  const dm = new DeviceMapper({}, runner);
  const holders = new HolderCache(dm);
  let daemon: Daemon | undefined;
  const realAsker = new AskPassword(runner);
  // Wrap the asker so STATUS= and the API learn when a prompt appears and goes.
  const asker: Asker = {
    ask: async (o) => {
      queueMicrotask(() => daemon?.promptsChanged());
      try {
        return await realAsker.ask(o);
      } finally {
        daemon?.promptsChanged();
      }
    },
  };
  // Gather for a second: volumes of one group reach the prompt at different times (device, LUKS checks).
  const broker = new PromptBroker(asker, { log, gatherMs: 1_000, onWrong: (v) => fleet?.wrongPassphrase(v) });
  const hints = new KeyslotHints(config.daemon.stateDir, log);
  await hints.load();
  const token = { cryptsetup, opener: new CryptsetupToken(runner) };
  const clevis = { clevis: new Clevis(runner), log };
  const volumes: VolumeManager = new VolumeManager({
    cryptsetup,
    dm,
    devices: new Devices(),
    hints,
    // Under systemd, PID 1 mounts and unmounts (the daemon has its own, read-only mount namespace).
    mounts: new Mounts(existsSync('/run/systemd/system') ? { systemdBefore: 'cryptvm.service', stopUnit: (u) => systemctl.stopNow(u) } : {}, runner),
    sources: (v, forcePrompt) => {
      const s = buildSources(v, { broker, token, clevis, https: { server: (daemon?.currentConfig() ?? config).keyServer, log } });
      if (forcePrompt && !v.keys.some((k) => k.kind === 'prompt')) s.push(new PromptSource(broker));
      return s;
    },
    guestsOf: (name) => guests.usersOf(name),
    log,
    onChange: (name) => daemon?.volumeChanged(name),
    sleep,
    now: monotonicNow,
  });
  const guests: GuestManager = new GuestManager({
    virsh: new Virsh(runner, { uri: config.daemon.libvirtUri }),
    log,
    config: () => daemon?.currentConfig() ?? config,
    volumes: () => [...volumes.records.values()].map((r) => ({ name: r.cfg.name, phase: r.phase, mounted: r.mounted })),
    onChange: (name) => daemon?.guestChanged(name),
    now: monotonicNow,
    sleep,
    xmlDir: '/etc/libvirt/qemu',
    wanted: new RuntimeWantedStore(process.env.RUNTIME_DIRECTORY ?? '/run/cryptvm', (e) => log.warn({ err: errorMessage(e) }, 'cannot save which guests wait for their volumes')),
    saveDirEncrypted: () => onEncryptedStorage(QEMU_SAVE_DIR).catch(() => false),
    stopped: (guest, outcome) => fleet?.guestStopped(guest, outcome),
  });

  let bus: dbus.MessageBus | undefined;
  try {
    bus = dbus.systemBus();
    bus.on('error', (e: unknown) => log.error({ err: errorMessage(e) }, 'system bus connection error'));
  } catch (e) {
    log.warn({ err: errorMessage(e) }, 'no system bus: running without the cryptvm API and without systemd job detection');
  }

  daemon = new Daemon(config, {
    log,
    notifier,
    volumes,
    guests,
    units: bus ? new SystemdUnits(bus) : undefined,
    systemState: existsSync('/run/systemd/system') ? () => systemctl.systemState() : undefined,
    loadConfig: (path) => loadOrExit(path, log),
    machine: readMachine,
    holders: (name) => holders.get(name),
    now: monotonicNow,
    askIdFor: (name) => broker.pending().find((p) => p.volumes.includes(name))?.askId,
    rearm: (name) => broker.rearm(name),
    sleep,
    unitName: 'cryptvm.service',
    guestsUnit: 'cryptvm-guests.service',
    // The XML directory is that of the local system libvirt; another URI's autostart flags are not on this disk.
    autostartGuests: (cfg) => (cfg.daemon.libvirtUri === 'qemu:///system' ? discoverAutostartGuests(cfg, '/etc/libvirt/qemu', log) : []),
  });
  const d = daemon;
  fleet = new FleetWatch({ status: () => d.status(), config: () => d.currentConfig(), runner, log, version: VERSION });
  const f = fleet;
  d.onChange(() => f.changed());
  f.changed();

  // The API comes up while boot begins, so `cryptvm status` and `cryptvm unlock` work while boot waits;
  // boot never waits for it (a broken bus must not hold the volumes and libvirtd back).
  const api = bus ? startApi(d, { bus, log }).catch((e: unknown) => void log.error({ err: errorMessage(e) }, errorMessage(e))) : undefined;

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
    d.reload().catch((e: unknown) => log.error({ err: errorMessage(e) }, `reload refused, keeping the running configuration:\n${errorMessage(e)}`));
  });

  d.boot().catch((e: unknown) => log.error({ err: e }, `boot failed: ${errorMessage(e)}`));
  await stopped;
  await f.stop().catch((e: unknown) => log.warn({ err: errorMessage(e) }, errorMessage(e)));
  await (await api)?.stop().catch(() => undefined);
  bus?.disconnect();
  log.info('stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`cryptvmd: ${errorMessage(e)}`);
    process.exit(1);
  },
);
