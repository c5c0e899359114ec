// The real Daemon, composed by the one wiring (src/wiring/daemon.ts, as cryptvmd composes it) over a
// FakeHost's adapters. The fake host's libvirt is allowed from READY=1 on. Shared by the daemon tests, the
// D-Bus and CLI tests and the boot benchmark; any of them may swap the host's cryptsetup or virsh.
import type { Asker } from '../../src/adapters/askpass.js';
import { systemClock, type Clock } from '../../src/clock.js';
import type { Config, GuestConfig, VolumeConfig } from '../../src/config/types.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { GuestDeps, GuestManager } from '../../src/daemon/guests.js';
import type { VolumeDeps, VolumeManager } from '../../src/daemon/volumes.js';
import type { RuntimeWantedStore } from '../../src/daemon/wanted-store.js';
import type { PromptBroker } from '../../src/keys/broker.js';
import type { KeyslotHints } from '../../src/keys/hints.js';
import type { KeySource } from '../../src/keys/types.js';
import type { Logger } from '../../src/log/logger.js';
import type { Machine } from '../../src/planner/unlock.js';
import { wireDaemon } from '../../src/wiring/daemon.js';
import type { FakeHost } from './fake-host.js';

export interface FakeDaemonOptions {
  log: Logger;
  /** A volume's key sources (default: its configured chain over the real broker, and `cryptvm unlock`'s prompt). */
  sources?: (v: VolumeConfig, broker: PromptBroker, forcePrompt: boolean) => KeySource[];
  /** systemd as the daemon asks it over D-Bus: unit states, stop-vs-restart. */
  units: { activeState(unit: string): Promise<string>; stopIntent(): Promise<string>; jobType(): Promise<undefined> };
  /** Every sd_notify message, after READY=1 has let libvirt in. */
  onNotify?: (fields: Record<string, string>) => void;
  loadConfig?: () => Config;
  machine?: () => Machine;
  hints?: KeyslotHints;
  saveEncrypted?: boolean;
  wanted?: RuntimeWantedStore;
  cryptsetup?: VolumeDeps['cryptsetup'];
  virsh?: FakeHost['virsh'];
  /** The person at the password agents (default: the host's, which refuses any question). */
  asker?: Asker;
  /** The broker's gathering of a passphrase group (default 1 ms). */
  gatherMs?: number;
  /** A broker made by the test instead of the wiring's own over `asker`. */
  broker?: PromptBroker;
  /** `systemctl is-system-running` (default: none, as without systemd). */
  systemState?: () => Promise<string>;
  /** The daemon's monotonic clock (default: the real one); a FakeClock makes deadlines testable. */
  clock?: Clock;
  /** Where guests' persistent XML is read before READY (default: nowhere). */
  xmlDir?: string;
  /** GuestManager's shutdown-outcome hook (metrics). */
  stopped?: GuestDeps['stopped'];
  /** Guests gated through libvirt's autostart flag (the daemon reads them from disk in production). */
  autostartGuests?: (cfg: Config) => GuestConfig[];
}

export function daemonOnFakeHost(cfg: Config, host: FakeHost, o: FakeDaemonOptions): { daemon: Daemon; volumes: VolumeManager; guests: GuestManager; broker: PromptBroker } {
  const { daemon, volumes, guests, broker } = wireDaemon({
    config: cfg,
    host: {
      ...host.adapters(),
      ...(o.cryptsetup ? { cryptsetup: o.cryptsetup } : {}),
      ...(o.virsh ? { virsh: o.virsh } : {}),
      ...(o.asker ? { asker: o.asker } : {}),
      notifier: {
        notify: async (f: Record<string, string>) => {
          if (f.READY === '1') host.libvirtAllowed = true; // libvirtd may start only now
          o.onNotify?.(f);
        },
      },
      units: o.units as never,
      systemState: o.systemState,
      machine: o.machine ?? (() => ({ cores: 2, availableKiB: 1_000_000 })),
      saveDirEncrypted: async () => o.saveEncrypted ?? false,
      xmlDir: o.xmlDir ?? '/nonexistent',
      wanted: o.wanted,
      autostartGuests: o.autostartGuests,
    },
    log: o.log,
    clock: o.clock ?? systemClock,
    loadConfig: o.loadConfig ?? (() => cfg),
    hints: o.hints,
    gatherMs: o.gatherMs ?? 1,
    broker: o.broker,
    sources: o.sources,
    stopped: o.stopped,
  });
  return { daemon, volumes, guests, broker };
}
