// The real Daemon with its real managers, wired to a FakeHost (test/helpers/fake-host.ts) the way
// src/daemon/main.ts wires them to the real adapters. The fake host's libvirt is allowed from READY=1 on.
// Shared by the lifecycle tests and the boot benchmark; either may swap the host's cryptsetup or virsh.
import { setTimeout as delay } from 'node:timers/promises';
import type { Config, VolumeConfig } from '../../src/config/types.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { GuestManager, type GuestDeps } from '../../src/daemon/guests.js';
import { VolumeManager, type VolumeDeps } from '../../src/daemon/volumes.js';
import type { RuntimeWantedStore } from '../../src/daemon/wanted-store.js';
import type { KeyslotHints } from '../../src/keys/hints.js';
import type { KeySource } from '../../src/keys/types.js';
import type { Logger } from '../../src/log/logger.js';
import type { Machine } from '../../src/planner/unlock.js';
import type { FakeHost } from './fake-host.js';

export interface FakeDaemonOptions {
  log: Logger;
  sources: (v: VolumeConfig) => KeySource[];
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
  /** GuestManager's shutdown-outcome hook (metrics). */
  stopped?: GuestDeps['stopped'];
}

const sleep = (ms: number): Promise<void> => delay(ms);

export function daemonOnFakeHost(cfg: Config, host: FakeHost, o: FakeDaemonOptions): { daemon: Daemon; volumes: VolumeManager; guests: GuestManager } {
  let daemon: Daemon | undefined;
  const volumes: VolumeManager = new VolumeManager({
    cryptsetup: o.cryptsetup ?? host.cryptsetup,
    dm: host.dm,
    devices: host.devices,
    mounts: host.mountsAdapter,
    sources: o.sources,
    hints: o.hints,
    guestsOf: () => [],
    log: o.log,
    onChange: (n) => daemon?.volumeChanged(n),
    sleep,
  });
  const guests: GuestManager = new GuestManager({
    virsh: o.virsh ?? host.virsh,
    log: o.log,
    config: () => cfg,
    volumes: () => [...volumes.records.values()].map((r) => ({ name: r.cfg.name, phase: r.phase, mounted: r.mounted })),
    onChange: (n) => daemon?.guestChanged(n),
    now: () => performance.now(),
    sleep,
    xmlDir: '/nonexistent',
    saveDirEncrypted: async () => o.saveEncrypted ?? false,
    wanted: o.wanted,
    stopped: o.stopped,
  });
  daemon = new Daemon(cfg, {
    log: o.log,
    notifier: {
      notify: async (f: Record<string, string>) => {
        if (f.READY === '1') host.libvirtAllowed = true; // libvirtd may start only now
        o.onNotify?.(f);
      },
    },
    volumes,
    guests,
    units: o.units as never,
    loadConfig: o.loadConfig ?? (() => cfg),
    machine: o.machine ?? (() => ({ cores: 2, availableKiB: 1_000_000 })),
    holders: () => [],
    askIdFor: () => undefined,
    sleep,
    unitName: 'cryptvm.service',
    guestsUnit: 'cryptvm-guests.service',
  });
  return { daemon, volumes, guests };
}
