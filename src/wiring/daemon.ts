// The one composition of the daemon: the prompt broker, each volume's key sources, the volume and guest
// managers, the Daemon and the fleet hooks (metrics, [notify]), over a set of host adapters — the real,
// runner-based ones (host.ts) or a fake host's in tests and benchmarks. Process concerns (arguments,
// signals, the bus, exit codes) stay in the entry point, src/bin/cryptvmd.ts.
import type { Asker } from '../adapters/askpass.js';
import type { Runner } from '../adapters/exec.js';
import type { Notifier } from '../adapters/notify.js';
import type { Clock } from '../clock.js';
import type { Config, GuestConfig, VolumeConfig } from '../config/types.js';
import { Daemon, type DaemonDeps } from '../daemon/daemon.js';
import { GuestManager, type GuestDeps } from '../daemon/guests.js';
import { VolumeManager, type VolumeDeps } from '../daemon/volumes.js';
import type { WantedStore } from '../daemon/wanted-store.js';
import { PromptBroker } from '../keys/broker.js';
import { buildSources, type SourceDeps } from '../keys/chain.js';
import type { KeyslotHints } from '../keys/hints.js';
import { PromptSource } from '../keys/prompt.js';
import type { KeySource } from '../keys/types.js';
import type { Logger } from '../log/logger.js';
import { FleetWatch } from '../metrics/fleet.js';
import type { Machine } from '../planner/unlock.js';

/** Everything outside the process the daemon talks to. */
export interface HostAdapters {
  cryptsetup: VolumeDeps['cryptsetup'];
  dm: VolumeDeps['dm'];
  devices: VolumeDeps['devices'];
  mounts: VolumeDeps['mounts'];
  virsh: GuestDeps['virsh'];
  /** The password agents a prompt is put to (systemd-ask-password). */
  asker: Asker;
  /** sd_notify. */
  notifier: Notifier;
  /** systemd over D-Bus; undefined without a system bus. */
  units: DaemonDeps['units'];
  /** `systemctl is-system-running`; undefined without systemd. */
  systemState?: () => Promise<string>;
  /** Processes holding a mapping open (synchronous: status() backs D-Bus properties). */
  holders(volume: string): string[];
  machine(): Machine;
  /** Whether libvirt's managed-save directory is on an encrypted volume. */
  saveDirEncrypted(): Promise<boolean>;
  /** Where libvirt keeps persistent domain XML, read before READY=1. */
  xmlDir: string;
  wanted?: WantedStore;
  /** Guests gated through libvirt's autostart flag, read from disk (no libvirt call). */
  autostartGuests?(config: Config): GuestConfig[];
  /** LUKS2 token and clevis programs for those key sources (absent: such a source is refused). */
  token?: SourceDeps['token'];
  clevis?: SourceDeps['clevis'];
}

export interface WireDeps {
  config: Config;
  host: HostAdapters;
  log: Logger;
  clock: Clock;
  /** Reads and validates the file again (reload); throws ConfigError to keep the running configuration. */
  loadConfig(path: string): Config;
  hints?: KeyslotHints;
  /** How long the broker gathers the volumes of a passphrase group into one prompt. */
  gatherMs: number;
  /** A broker made elsewhere (a test sharing one between two daemons); default: one over host.asker. */
  broker?: PromptBroker;
  /**
   * A volume's key sources, replacing its configured chain and the prompt `cryptvm unlock` adds to a chain
   * without one (forcePrompt); default: both, as on a real host.
   */
  sources?(volume: VolumeConfig, broker: PromptBroker, forcePrompt: boolean): KeySource[];
  /** Metrics and [notify]: fed by change events, READY=1, wrong passphrases and guest stops. */
  fleet?: { runner: Runner; version: string };
  /** Told how each guest this daemon stopped went down (besides the fleet). */
  stopped?: GuestDeps['stopped'];
}

export interface WiredDaemon {
  daemon: Daemon;
  volumes: VolumeManager;
  guests: GuestManager;
  broker: PromptBroker;
  fleet: FleetWatch | undefined;
}

export function wireDaemon(w: WireDeps): WiredDaemon {
  const { host, log, clock, config } = w;
  let daemon: Daemon | undefined;
  let fleet: FleetWatch | undefined;
  const current = (): Config => daemon?.currentConfig() ?? config;
  // STATUS= and the API learn when a prompt appears and when it goes.
  const asker: Asker = {
    ask: async (o) => {
      queueMicrotask(() => daemon?.promptsChanged());
      try {
        return await host.asker.ask(o);
      } finally {
        daemon?.promptsChanged();
      }
    },
  };
  const broker = w.broker ?? new PromptBroker(asker, { log, gatherMs: w.gatherMs, clock, onWrong: (v) => fleet?.wrongPassphrase(v) });
  const chain = (v: VolumeConfig, forcePrompt: boolean): KeySource[] => {
    const s = buildSources(v, { broker, clock, token: host.token, clevis: host.clevis, https: { server: current().keyServer, log } });
    if (forcePrompt && !v.keys.some((k) => k.kind === 'prompt')) s.push(new PromptSource(broker));
    return s;
  };
  const volumes: VolumeManager = new VolumeManager({
    cryptsetup: host.cryptsetup,
    dm: host.dm,
    devices: host.devices,
    mounts: host.mounts,
    hints: w.hints,
    sources: (v, forcePrompt) => (w.sources ? w.sources(v, broker, forcePrompt) : chain(v, forcePrompt)),
    guestsOf: (name) => guests.usersOf(name),
    log,
    onChange: (name) => daemon?.volumeChanged(name),
    clock,
  });
  const guests: GuestManager = new GuestManager({
    virsh: host.virsh,
    log,
    config: current,
    volumes: () => [...volumes.records.values()].map((r) => ({ name: r.cfg.name, phase: r.phase, mounted: r.mounted })),
    onChange: (name) => daemon?.guestChanged(name),
    clock,
    xmlDir: host.xmlDir,
    wanted: host.wanted,
    saveDirEncrypted: () => host.saveDirEncrypted(),
    stopped: (guest, outcome) => {
      fleet?.guestStopped(guest, outcome);
      w.stopped?.(guest, outcome);
    },
  });
  const notifier: Notifier = {
    notify: async (fields) => {
      await host.notifier.notify(fields);
      if (fields.READY === '1') fleet?.ready();
    },
  };
  const d = new Daemon(config, {
    log,
    notifier,
    volumes,
    guests,
    units: host.units,
    systemState: host.systemState,
    loadConfig: w.loadConfig,
    machine: () => host.machine(),
    holders: (name) => host.holders(name),
    clock,
    askIdFor: (name) => broker.pending().find((p) => p.volumes.includes(name))?.askId,
    rearm: (name) => broker.rearm(name),
    unitName: 'cryptvm.service',
    guestsUnit: 'cryptvm-guests.service',
    autostartGuests: host.autostartGuests,
  });
  daemon = d;
  if (w.fleet) {
    const f = new FleetWatch({ status: () => d.status(), config: () => d.currentConfig(), runner: w.fleet.runner, log, version: w.fleet.version, clock });
    fleet = f;
    d.onChange(() => f.changed());
    f.changed();
  }
  return { daemon: d, volumes, guests, broker, fleet };
}
