// The daemon's lifecycle and its DaemonControl API: boot (unlock → READY=1), guests (after READY), reload,
// and stop (guests first, then unmount and close — or, on a restart, nothing at all).
import type { Config, GuestConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import type { Clock } from '../clock.js';
import { monotonicUsec, type Notifier } from '../adapters/notify.js';
import type { SystemdUnits } from '../adapters/systemd.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { statusLine } from '../planner/status.js';
import { unlockConcurrency, type Machine } from '../planner/unlock.js';
import { describePlan } from '../planner/plan.js';
import { readyStep, volumeSteps } from '../planner/boot-steps.js';
import type { ReadyStep, Step } from '../planner/steps.js';
import { BootReadiness } from './readiness.js';
import { withAutostartGuests } from './autostart.js';
import type { ChangeEvent, DaemonControl, DaemonPhase, DaemonStatus, Plan, UnlockTicket } from '../api/types.js';
import type { GuestManager } from './guests.js';
import type { VolumeManager } from './volumes.js';
import { daemonStatus } from './daemon-status.js';
import { unlockVolumes } from './unlock.js';
import { LibvirtLink } from './libvirt-link.js';
import { EXTEND_GRANT_USEC } from './keepalive.js';
import { until } from './until.js';
import { makeExecutors } from './executors.js';
import { openVolumes } from './boot-open.js';
import { failuresError, stopGuestLayers, type StopPath } from './stop-path.js';
import { lockSteps } from './lock.js';
import { stopDaemon } from './stop-now.js';

export interface DaemonDeps {
  log: Logger;
  notifier: Notifier;
  volumes: VolumeManager;
  guests: GuestManager;
  /** systemd over D-Bus; undefined when there is no system bus (tests, no systemd). */
  units: SystemdUnits | undefined;
  /** `systemctl is-system-running` (stopping at shutdown); undefined without systemd. */
  systemState?: () => Promise<string>;
  loadConfig(path: string): Config;
  machine(): Machine;
  holders(volume: string): string[];
  askIdFor(volume: string): string | undefined;
  /** Forget a volume's wrong answers so the prompt asks again (`cryptvm unlock` after its tries are used up). */
  rearm(volume: string): void;
  /** The monotonic clock of every deadline and wait: boot_wait holds whatever the wall clock does. */
  clock: Clock;
  unitName: string;
  guestsUnit: string;
  /** Guests gated through libvirt's autostart flag (no [[guest]] table), read from disk: no libvirt call. */
  autostartGuests?(config: Config): GuestConfig[];
}

export class Daemon implements DaemonControl {
  private phase: DaemonPhase = 'starting';
  private listeners = new Set<(e: ChangeEvent) => void>();
  private lastStatus = '';
  private readonly stopping = new AbortController();
  /** Aborted as the first thing a stop does: pending prompts and waiting API calls end at once. */
  private readonly stopRequested = new AbortController();
  /** `guests start` asked before READY=1: applied right after it (libvirt may not be asked earlier). */
  private earlyWant: string[] | undefined;
  private readonly readiness: BootReadiness;
  private readonly libvirt: LibvirtLink;
  /** Runs a step through the executor map. */
  private readonly run: (step: Step) => Promise<void>;

  constructor(
    private config: Config,
    private readonly deps: DaemonDeps,
  ) {
    this.config = this.withAutostart(config);
    this.readiness = new BootReadiness({
      records: () => deps.volumes.records.values(),
      askIdFor: (v) => deps.askIdFor(v),
      mode: () => this.config.daemon.ready,
      phase: () => this.phase,
      volumeNames: () => this.config.volumes.map((v) => v.name),
      bootWaitMs: () => this.config.daemon.bootWaitMs,
      clock: deps.clock,
      log: deps.log,
      changed: () => this.changed(),
    });
    this.run = makeExecutors({ volumes: deps.volumes, guests: deps.guests, ready: (s) => this.sayReady(s), log: deps.log }).run;
    deps.guests.startThrough((s) => this.run(s));
    deps.volumes.setVolumes(this.config.volumes);
    deps.guests.setGuests(this.config.guests);
    this.libvirt = new LibvirtLink({
      guests: deps.guests,
      log: deps.log,
      clock: deps.clock,
      signal: this.stopping.signal,
      onWaiting: () => {
        for (const g of this.status().guests) this.emit({ kind: 'guest', guest: g });
        this.changed();
      },
    });
  }

  private withAutostart(config: Config): Config {
    return withAutostartGuests(config, this.deps.autostartGuests?.(config) ?? [], this.deps.log);
  }

  currentConfig(): Config {
    return this.config;
  }

  /**
   * Boot: open what can be opened, then READY=1 once the volumes that count have settled ([daemon] ready) or
   * boot_wait passed. The console keeps its prompt (consoleWait, for cryptvm-ask.service) until boot_wait.
   */
  async boot(): Promise<void> {
    this.phase = 'unlocking';
    // Guest→volume links from disk are a convenience: nothing in them may hold back the volumes or READY=1.
    await this.deps.guests.linkFromDisk().catch((e: unknown) => this.deps.log.error({ err: e }, `reading the guests' libvirt XML: ${errorMessage(e)}`));
    this.changed();
    await this.readiness.untilReady(openVolumes(volumeSteps(this.config, this.buildStatus().volumes), this.run, this.deps.log), {
      onChange: (l) => this.onChange(l),
      extend: () => this.deps.notifier.notify({ EXTEND_TIMEOUT_USEC: EXTEND_GRANT_USEC }),
      signal: this.stopping.signal,
    });
    this.phase = 'ready';
    await this.run(readyStep(this.config, this.deps.unitName));
    this.changed();
    await this.afterReady();
  }

  /** The `ready` executor: READY=1, so libvirtd may start. */
  private async sayReady(_step: ReadyStep): Promise<void> {
    await this.deps.notifier.notify({ READY: '1', STATUS: this.statusText() });
    this.deps.log.info(ev('daemon-ready', { status: this.statusText(), ready: this.config.daemon.ready }), 'ready');
  }

  /** After READY=1 libvirt may be used. On a restart with cryptvm-guests active, adopt the running guests. */
  private async afterReady(): Promise<void> {
    const active = await this.deps.units?.activeState(this.deps.guestsUnit).catch((e: unknown) => {
      this.deps.log.warn({ err: e }, `cannot ask systemd whether ${this.deps.guestsUnit} is active (running guests are adopted once libvirt is asked): ${errorMessage(e)}`);
      return 'unknown';
    });
    if (active === 'active' || this.earlyWant) await this.goLive();
    if (this.earlyWant) this.deps.guests.want(this.earlyWant);
    this.earlyWant = undefined;
  }

  /** True when libvirt answers; when not, it is retried in the background and waiting guests start later. */
  private goLive(): Promise<boolean> {
    return this.libvirt.connect();
  }

  /** Volume or guest changed: update STATUS=, tell API listeners, start guests whose volumes opened. */
  volumeChanged(name: string): void {
    const v = this.status().volumes.find((x) => x.name === name);
    if (v) this.emit({ kind: 'volume', volume: v });
    this.adjustUnlockConcurrency();
    if (v?.state === 'open') void this.deps.guests.replan();
    this.changed();
  }

  /** A password prompt appeared or went away: volume states and STATUS= change with it. */
  promptsChanged(): void {
    for (const v of this.buildStatus().volumes) this.emit({ kind: 'volume', volume: v });
    this.changed();
  }

  guestChanged(name: string): void {
    const g = this.status().guests.find((x) => x.name === name);
    if (g) this.emit({ kind: 'guest', guest: g });
    this.changed();
  }

  private adjustUnlockConcurrency(): void {
    const costs = [...this.deps.volumes.records.values()].flatMap((r) => (r.cost ? [r.cost] : []));
    this.deps.volumes.pbkdf.setLimit(unlockConcurrency(costs, this.deps.machine(), this.config.daemon.parallelUnlock));
  }

  private changed(): void {
    const text = this.statusText();
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    void this.deps.notifier.notify({ STATUS: text });
    this.emit({ kind: 'status', status: text });
  }

  private statusText(): string {
    const s = this.buildStatus();
    return statusLine(s.volumes, s.guests, this.statusHead()) + (this.libvirt.waitingReason ? '; waiting for libvirt' : '');
  }

  private statusHead() {
    return { phase: this.phase, readyWaitsFor: this.phase === 'unlocking' ? this.readiness.decision().pending : [] };
  }

  private emit(e: ChangeEvent): void {
    for (const l of this.listeners) l(e);
  }

  private buildStatus(): Omit<DaemonStatus, 'status'> {
    const now = { phase: this.phase, configPath: this.config.path, libvirtWaiting: this.libvirt.waitingReason, consoleWait: this.readiness.consoleWait() };
    return daemonStatus(this.deps, now);
  }

  // ---- DaemonControl ----

  status(): DaemonStatus {
    const s = this.buildStatus();
    return { ...s, status: this.statusText() };
  }

  async plan(): Promise<Plan> {
    return describePlan(this.config, this.status(), this.deps.unitName);
  }

  unlock(names: string[]): Promise<UnlockTicket[]> {
    const until = (cond: () => boolean, ms: number) => this.until(cond, ms);
    return unlockVolumes({ volumes: this.deps.volumes, askIdFor: (v) => this.deps.askIdFor(v), rearm: (v) => this.deps.rearm(v), until, stopRequested: this.stopRequested.signal }, names);
  }

  async lock(volume: string, stopGuests: boolean): Promise<void> {
    this.deps.volumes.mustGet(volume);
    if (!this.deps.guests.isLive && this.phase === 'ready') await this.goLive();
    const users = [...this.deps.guests.records.values()].filter((g) => g.volumes.includes(volume) && (g.run === 'running' || g.run === 'paused'));
    if (users.length > 0 && !stopGuests) {
      const names = users.map((g) => g.cfg.name).join(', ');
      throw new CryptvmError('Busy', `volume ${volume} is used by running guest(s) ${names}; stop them first or pass --stop-guests`, { volume });
    }
    await lockSteps(this.stopPath, volume, users.map((g) => g.cfg.name));
    // `lock` then `unlock` puts things back: the guests it stopped wait for the volume again.
    const back = users.filter((g) => g.cfg.autostart).map((g) => g.cfg.name);
    if (back.length > 0) this.deps.guests.want(back);
    this.changed();
  }

  async startGuests(names: string[]): Promise<void> {
    for (const n of names) this.deps.guests.mustGet(n);
    if (this.phase !== 'ready') {
      // Asking libvirt now would socket-activate libvirtd, whose start waits for our READY=1: a deadlock.
      this.earlyWant = names.length === 0 || this.earlyWant?.length === 0 ? [] : [...(this.earlyWant ?? []), ...names];
      return;
    }
    await this.goLive();
    this.deps.guests.want(names);
  }

  async stopGuests(names: string[], wait: boolean): Promise<void> {
    for (const n of names) this.deps.guests.mustGet(n);
    if (!(await this.goLive())) {
      throw new CryptvmError('Libvirt', `cannot stop guests: ${this.libvirt.waitingReason ?? 'libvirt does not answer'}; check systemctl status libvirtd`);
    }
    const done = stopGuestLayers(this.stopPath, names).then((r) => {
      if (r.failures.length > 0) throw failuresError(r.failures);
    });
    if (wait) return done;
    done.catch((e: unknown) => this.deps.log.error({ err: e }, errorMessage(e)));
  }

  async reload(): Promise<void> {
    const next = this.withAutostart(this.deps.loadConfig(this.config.path)); // throws ConfigError: the old config stays
    await this.deps.notifier.notify({ RELOADING: '1', MONOTONIC_USEC: monotonicUsec() });
    try {
      this.config = next;
      this.deps.volumes.setVolumes(next.volumes);
      this.deps.guests.setGuests(next.guests);
      await this.deps.guests.linkFromDisk();
      if (this.deps.guests.isLive) await this.deps.guests.refresh();
      // New volumes, and locked ones without an error, get their open (and mount) steps; the rest are left alone.
      const opening = (name: string) => this.deps.volumes.mustGet(name).phase === 'locked' && !this.deps.volumes.mustGet(name).error;
      void openVolumes(volumeSteps(next, this.buildStatus().volumes).filter((s) => opening(s.volume)), this.run, this.deps.log);
      this.deps.log.info(ev('config-reloaded', { volumes: next.volumes.length, guests: next.guests.length }), 'configuration reloaded');
    } finally {
      await this.deps.notifier.notify({ READY: '1', STATUS: this.statusText() });
    }
  }

  /** Resolves when cond() holds (checked at each change event), after timeoutMs, or when a stop begins. */
  private until(cond: () => boolean, timeoutMs: number): Promise<void> {
    return until(cond, timeoutMs, (l) => this.onChange(l), this.stopRequested.signal, this.deps.clock);
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- stop ----

  /** SIGTERM: on an explicit stop, guests first, then unmount and close; on a restart keep everything. */
  async stop(): Promise<void> {
    this.phase = 'stopping';
    // Before anything that may take time: withdraw every password question (an agent showing it on a terminal
    // must not keep it for a daemon that is going away) and answer `unlock` calls that wait for one.
    this.stopRequested.abort();
    const { units, unitName, systemState, notifier, clock } = this.deps;
    await stopDaemon({ ...this.stopPath, units, unitName, systemState, notifier, clock, goLive: () => this.goLive(), stopping: this.stopping });
  }

  private get stopPath(): StopPath {
    return { config: () => this.config, volumes: this.deps.volumes, guests: this.deps.guests, log: this.deps.log, run: (s) => this.run(s) };
  }
}
