// Gated guests: learn their volumes, start them when their volumes are open (in `after=` order, with delays:
// the converge loop runs planGuestStarts' start steps), and the executors of the guest steps (start,
// shutdown, save, destroy; the stop path in src/daemon/stop-path.ts runs them in layers). Talks to libvirt only
// after READY=1 (libvirtd is ordered after cryptvm.service: an earlier call would wait for us, a deadlock);
// before that, guest→volume links come from the persistent domain XML on disk.
import { readFile } from 'node:fs/promises';
import type { Config, GuestConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import type { Clock } from '../clock.js';
import type { Virsh } from '../adapters/virsh.js';
import { parseDomainDisks } from '../adapters/virsh.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { guestVolumes, planGuestStarts } from '../planner/guests.js';
import type { ObservedGuest, ObservedVolume, DomainRun } from '../planner/types.js';
import type { DestroyStep, SaveStep, ShutdownStep, StartStep } from '../planner/steps.js';
import type { WantedStore } from './wanted-store.js';
import { newGuest, observed, type GuestRecord } from './guest-state.js';
import { explainAutostart } from './autostart-log.js';
import { runOf } from './domain-run.js';
import { startGuest } from './guest-start.js';
import { destroyGuest, saveGuest, shutdownGuest, type RunFallback, type StopContext } from './guest-stop.js';

export interface GuestDeps {
  virsh: Pick<Virsh, 'list' | 'state' | 'disks' | 'autostart' | 'events' | 'start' | 'shutdown' | 'destroy' | 'managedSave'>;
  log: Logger;
  config(): Config;
  volumes(): ObservedVolume[];
  onChange(guest: string): void;
  /** Start delays, shutdown timeouts, the ACPI resend and the watcher's backoff. */
  clock: Clock;
  /** Where libvirt keeps persistent domain XML (qemu:///system: /etc/libvirt/qemu). */
  xmlDir: string;
  /** Managed save writes guest RAM to disk: only allowed when that disk is encrypted. */
  saveDirEncrypted(): Promise<boolean>;
  /** Guests waiting to be started survive a daemon restart. */
  wanted?: WantedStore;
  /** How a guest this manager stopped went down (metrics, notify). */
  stopped?(guest: string, outcome: 'graceful' | 'saved' | 'destroyed'): void;
}

export class GuestManager {
  readonly records = new Map<string, GuestRecord>();
  /** True once libvirt may be used (after READY=1 and libvirtd is up). */
  private live = false;
  /** Ends the wait for the next delayed start (a new plan arms its own). */
  private timer = new AbortController();
  private planning: Promise<void> = Promise.resolve();
  private waiters = new Set<() => void>();
  /** What the converge loop runs for each start step: the daemon's `start` executor once it is wired. */
  private runStart: (step: StartStep) => Promise<void> = (step) => this.start(step);

  constructor(private readonly deps: GuestDeps) {}

  /** The converge loop's start steps go through this (the daemon's executor map). */
  startThrough(run: (step: StartStep) => Promise<void>): void {
    this.runStart = run;
  }

  /**
   * The configured guests after a (re)load. Guests a reload removed are forgotten: cryptvm no longer starts or
   * stops them (a running one keeps running; the kernel still refuses to close its volume).
   */
  setGuests(guests: readonly GuestConfig[]): void {
    const fresh = this.records.size === 0;
    const configured = new Set(guests.map((g) => g.name));
    const removed = [...this.records.values()].filter((g) => !configured.has(g.cfg.name));
    for (const g of removed) {
      this.setWanted(g, false);
      this.records.delete(g.cfg.name);
      this.deps.log.info(ev('guest-removed', { guest: g.cfg.name }), 'guest removed from the configuration: cryptvm no longer starts or stops it');
    }
    for (const cfg of guests) {
      const r = this.records.get(cfg.name);
      if (r) r.cfg = cfg;
      else this.records.set(cfg.name, newGuest(cfg));
    }
    if (fresh) for (const name of this.deps.wanted?.load() ?? []) if (this.records.has(name)) this.records.get(name)!.wanted = true;
  }

  private setWanted(g: GuestRecord, wanted: boolean): void {
    if (g.wanted === wanted) return;
    g.wanted = wanted;
    this.deps.wanted?.save([...this.records.values()].filter((r) => r.wanted).map((r) => r.cfg.name));
  }

  /**
   * Before READY: read each guest's persistent XML from disk (no libvirt call) to link it to volumes. A file
   * that cannot be parsed is that guest's error only (it is linked from libvirt once libvirt may be asked);
   * it never holds back the volumes or READY=1.
   */
  async linkFromDisk(): Promise<void> {
    const vols = this.deps.config().volumes;
    for (const g of this.records.values()) {
      const path = `${this.deps.xmlDir}/${g.cfg.name}.xml`;
      const xml = await readFile(path, 'utf8').catch(() => undefined);
      try {
        g.volumes = guestVolumes(g.cfg, xml ? parseDomainDisks(xml) : [], vols);
      } catch (e) {
        g.volumes = guestVolumes(g.cfg, [], vols);
        g.error = `cannot read its libvirt XML ${path} (${errorMessage(e)}); its volumes are learnt from libvirt once it runs; check the file (virsh dumpxml ${g.cfg.name})`;
        this.deps.log.error({ guest: g.cfg.name, path, err: e }, `guest ${g.cfg.name}: ${g.error}`);
      }
    }
  }

  /** After READY: ask libvirt for each guest's state, disks and autostart flag. */
  async refresh(): Promise<void> {
    const { virsh, log } = this.deps;
    // Live only once libvirt answered: a failed list is retried (LibvirtLink), never taken as "no guests".
    const listed = new Map((await virsh.list()).map((d) => [d.name, d]));
    this.live = true;
    for (const g of this.records.values()) {
      const glog = log.child({ guest: g.cfg.name });
      const d = listed.get(g.cfg.name);
      if (!d) {
        g.run = 'missing';
        g.error = `no libvirt domain named ${g.cfg.name}; define it (virsh define) or remove it from the config`;
        glog.warn(g.error);
        continue;
      }
      g.run = runOf(d.state);
      g.error = undefined;
      try {
        g.volumes = guestVolumes(g.cfg, await virsh.disks(g.cfg.name), this.deps.config().volumes);
        g.libvirtAutostart = await virsh.autostart(g.cfg.name);
        // libvirt's own autostart on a gated guest is fine (a start libvirt did counts as done); a guest gated
        // only through that flag is no longer started once the flag is gone.
        if (g.cfg.fromLibvirtAutostart && !g.libvirtAutostart && g.cfg.autostart) {
          g.cfg = { ...g.cfg, autostart: false };
          glog.info(`libvirt's autostart flag is off now: cryptvm no longer starts ${g.cfg.name} (it still stops it)`);
        }
      } catch (e) {
        glog.warn({ err: e }, errorMessage(e));
      }
      this.deps.onChange(g.cfg.name);
    }
  }

  /** Start watching libvirt's lifecycle events; restarts the watcher with backoff until aborted. */
  async watch(signal: AbortSignal): Promise<void> {
    for (let delay = 1_000; !signal.aborted; delay = Math.min(delay * 2, 30_000)) {
      const exit = await this.deps.virsh
        .events({ signal, onEvent: (ev) => (ev.event === 'lifecycle' ? this.onLifecycle(ev.domain, ev.type) : undefined) })
        .catch((e: unknown) => e);
      if (signal.aborted) return;
      this.deps.log.warn({ err: exit }, `libvirt event stream ended; reconnecting in ${delay / 1000}s`);
      await this.deps.clock.sleep(delay, signal).catch(() => {});
      await this.refresh().catch((e: unknown) => this.deps.log.warn({ err: e }, errorMessage(e)));
    }
  }

  private onLifecycle(domain: string, type: string | undefined): void {
    const g = this.records.get(domain);
    if (!g) return;
    const run: DomainRun | undefined =
      type === 'Started' || type === 'Resumed' ? 'running' : type === 'Stopped' || type === 'Crashed' ? 'shut-off' : type === 'Suspended' ? 'paused' : type === 'Undefined' ? 'missing' : undefined;
    if (!run || run === g.run) return;
    g.run = run;
    this.deps.onChange(domain);
    for (const w of this.waiters) w();
  }

  /** Mark guests as wanted (all autostart guests when none are named) and start what can start. */
  want(names: string[]): void {
    const targets = names.length > 0 ? names.map((n) => this.mustGet(n)) : [...this.records.values()].filter((g) => g.cfg.autostart);
    for (const g of targets) if (g.run !== 'running') this.setWanted(g, true);
    if (names.length === 0) for (const g of targets) explainAutostart(g, this.deps.volumes(), this.deps.log);
    this.replan();
  }

  /** Re-plan guest starts (a volume opened, a guest started, a delay passed). Serialized. */
  replan(): Promise<void> {
    if (!this.live) return this.planning;
    this.planning = this.planning.then(() => this.startDue()).catch((e: unknown) => this.deps.log.error({ err: e }, errorMessage(e)));
    return this.planning;
  }

  private async startDue(): Promise<void> {
    const { clock } = this.deps;
    this.timer.abort();
    for (;;) {
      const plan = planGuestStarts(this.deps.config(), this.deps.volumes(), [...this.records.values()].map(observed), clock.now());
      if (plan.nextAtMs !== undefined) {
        this.timer.abort();
        const timer = (this.timer = new AbortController());
        clock.sleep(plan.nextAtMs - clock.now(), timer.signal).then(() => void this.replan(), () => undefined);
      }
      if (plan.start.length === 0) return;
      await Promise.all(plan.start.map((step) => this.runStart(step)));
    }
  }

  /** The `start` executor. A guest a reload removed meanwhile is not started. */
  async start(step: StartStep): Promise<void> {
    const g = this.records.get(step.guest);
    if (g) await startGuest(this.deps, g, step, () => this.setWanted(g, false));
  }

  /** Guests asked to stop are no longer waited for (all when `only` is undefined). */
  unwant(only: ReadonlySet<string> | undefined): void {
    for (const g of this.records.values()) if (!only || only.has(g.cfg.name)) this.setWanted(g, false);
  }

  private get stopContext(): StopContext {
    return { deps: this.deps, waiters: this.waiters };
  }

  /** The `shutdown` executor. records.get: a reload may have removed the guest since the plan was made. */
  async shutdown(step: ShutdownStep, fallback: RunFallback): Promise<void> {
    const g = this.records.get(step.guest);
    if (g) await shutdownGuest(this.stopContext, g, step, fallback);
  }

  /** The `save` executor (a shutdown's on_timeout = managedsave). */
  async save(step: SaveStep, fallback: RunFallback): Promise<void> {
    const g = this.records.get(step.guest);
    if (g) await saveGuest(this.stopContext, g, step, fallback);
  }

  /** The `destroy` executor (a shutdown's on_timeout, or a refused or failed save). */
  async destroy(step: DestroyStep): Promise<void> {
    const g = this.records.get(step.guest);
    if (g) await destroyGuest(this.stopContext, g, step);
  }

  /** The guests as the planner sees them. */
  observedGuests(): ObservedGuest[] {
    return [...this.records.values()].map(observed);
  }

  /** Configured guests that use the volume. */
  usersOf(volume: string): string[] {
    return [...this.records.values()].filter((g) => g.volumes.includes(volume)).map((g) => g.cfg.name);
  }

  get isLive(): boolean {
    return this.live;
  }

  mustGet(name: string): GuestRecord {
    const g = this.records.get(name);
    if (!g) throw new CryptvmError('NotFound', `no guest named ${name} in the config; see cryptvm status`, { guest: name });
    return g;
  }
}
