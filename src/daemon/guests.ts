// Gated guests: learn their volumes, start them when their volumes are open (in `after=` order, with delays),
// stop them gracefully in parallel with a timeout and the guest's on_timeout policy. Talks to libvirt only
// after READY=1 (libvirtd is ordered after cryptvm.service: an earlier call would wait for us, a deadlock);
// before that, guest→volume links come from the persistent domain XML on disk.
import { readFile } from 'node:fs/promises';
import type { Config, GuestConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock.js';
import type { DomainState, Virsh } from '../adapters/virsh.js';
import { parseDomainDisks } from '../adapters/virsh.js';
import { CryptvmError, errorMessage } from '../errors.js';
import { guestVolumes, planGuestStarts } from '../planner/guests.js';
import { planGuestStops } from '../planner/shutdown.js';
import type { ObservedVolume, DomainRun } from '../planner/types.js';
import { Semaphore } from './semaphore.js';
import type { WantedStore } from './wanted-store.js';
import { newGuest, observed, type GuestRecord } from './guest-state.js';
import { explainAutostart, logAlreadyRunning } from './autostart-log.js';

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

/** How often a guest that has not shut down yet is sent the ACPI request again. */
const ACPI_RESEND_MS = 5_000;

export function runOf(state: DomainState): DomainRun {
  if (state === 'running' || state === 'blocked' || state === 'shutdown') return 'running';
  if (state === 'paused' || state === 'pmsuspended') return 'paused';
  if (state === 'shut-off' || state === 'crashed') return 'shut-off';
  return 'unknown';
}

export class GuestManager {
  readonly records = new Map<string, GuestRecord>();
  /** True once libvirt may be used (after READY=1 and libvirtd is up). */
  private live = false;
  /** Ends the wait for the next delayed start (a new plan arms its own). */
  private timer = new AbortController();
  private planning: Promise<void> = Promise.resolve();
  private waiters = new Set<() => void>();

  constructor(private readonly deps: GuestDeps) {}

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
      this.deps.log.info({ guest: g.cfg.name }, 'guest removed from the configuration: cryptvm no longer starts or stops it');
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
      await Promise.all(plan.start.map((name) => this.startOne(this.mustGet(name))));
    }
  }

  private async startOne(g: GuestRecord): Promise<void> {
    const log = this.deps.log.child({ guest: g.cfg.name });
    g.busy = 'starting';
    this.deps.onChange(g.cfg.name);
    try {
      const r = await this.deps.virsh.start(g.cfg.name);
      g.run = 'running';
      g.startedAtMs = this.deps.clock.now();
      g.error = undefined;
      if (r === 'already-running') logAlreadyRunning(g, log);
      else log.info({ volumes: g.volumes }, 'guest started');
    } catch (e) {
      // libvirtd's own autostart may be starting it at this very moment (virsh start then fails on the
      // domain's state lock): a guest that runs now counts as started.
      if ((await this.deps.virsh.state(g.cfg.name).then((s) => runOf(s.state), () => undefined)) === 'running') {
        Object.assign(g, { run: 'running', startedAtMs: this.deps.clock.now(), error: undefined });
        logAlreadyRunning(g, log);
      } else {
        g.error = errorMessage(e);
        log.error({ err: e }, `guest did not start: ${g.error}`);
      }
    } finally {
      this.setWanted(g, false);
      g.busy = undefined;
      this.deps.onChange(g.cfg.name);
    }
  }

  /** Stop guests (all running gated guests when none are named) in reverse `after=` order, in parallel. */
  async stop(names: string[]): Promise<void> {
    const only = names.length > 0 ? new Set(names.map((n) => this.mustGet(n).cfg.name)) : undefined;
    for (const g of this.records.values()) if (!only || only.has(g.cfg.name)) this.setWanted(g, false);
    const layers = planGuestStops(this.deps.config(), [...this.records.values()].map(observed), only);
    const sem = new Semaphore(this.deps.config().daemon.parallelShutdown);
    const failures: unknown[] = [];
    for (const layer of layers) {
      // records.get: a reload may have removed a guest since the plan was made (it is no longer ours to stop).
      await Promise.all(layer.map((n) => sem.use(async () => {
        const g = this.records.get(n);
        if (g) await this.stopOne(g).catch((e: unknown) => void failures.push(e));
      })));
    }
    if (failures.length > 0) throw failures.length === 1 ? failures[0] : new CryptvmError('Libvirt', failures.map(errorMessage).join('; '), { cause: failures });
  }

  private async stopOne(g: GuestRecord): Promise<void> {
    const name = g.cfg.name;
    const log = this.deps.log.child({ guest: name });
    const { virsh } = this.deps;
    g.busy = 'stopping';
    this.deps.onChange(name);
    try {
      log.info({ timeout_s: g.cfg.shutdownTimeoutMs / 1000 }, 'asking guest to shut down');
      if ((await virsh.shutdown(name, 'acpi')) === 'not-running') return void (g.run = 'shut-off');
      if (await this.waitOff(g, g.cfg.shutdownTimeoutMs)) {
        this.deps.stopped?.(name, 'graceful');
        return void log.info('guest shut down');
      }
      log.warn({ action: g.cfg.onTimeout }, 'guest did not shut down in time');
      if (g.cfg.onTimeout === 'managedsave' && (await this.deps.saveDirEncrypted())) {
        try {
          await virsh.managedSave(name);
          log.info('guest saved');
          this.deps.stopped?.(name, 'saved');
        } catch (e) {
          // A guest left running would keep its volume open and block the close: destroy is the fallback.
          log.error({ err: e }, `managedsave failed (${errorMessage(e)}); destroying the guest instead`);
          await virsh.destroy(name);
          log.info('guest destroyed');
          this.deps.stopped?.(name, 'destroyed');
        }
      } else {
        if (g.cfg.onTimeout === 'managedsave') log.error("refusing managedsave: libvirt's save directory is not on an encrypted volume and would get the guest's memory in plaintext; destroying instead (see cryptvm doctor)");
        await virsh.destroy(name);
        log.info('guest destroyed');
        this.deps.stopped?.(name, 'destroyed');
      }
      g.run = 'shut-off';
    } finally {
      g.busy = undefined;
      this.deps.onChange(name);
    }
  }

  /**
   * Wait until libvirt reports the guest off: woken by events, with a slow poll as a safety net. The ACPI
   * request is sent again every few seconds: one that arrives while the guest is still booting is lost.
   */
  private async waitOff(g: GuestRecord, timeoutMs: number): Promise<boolean> {
    const deadline = this.deps.clock.now() + timeoutMs;
    let asked = this.deps.clock.now();
    while (this.deps.clock.now() < deadline) {
      const { state } = await this.deps.virsh.state(g.cfg.name);
      g.run = runOf(state);
      if (g.run === 'shut-off') return true;
      if (this.deps.clock.now() - asked >= ACPI_RESEND_MS) {
        asked = this.deps.clock.now();
        await this.deps.virsh.shutdown(g.cfg.name, 'acpi').catch((e: unknown) => this.deps.log.debug({ guest: g.cfg.name, err: e }, 'repeated ACPI shutdown request failed'));
      }
      const woken = new AbortController();
      const wake = (): void => woken.abort();
      this.waiters.add(wake);
      await this.deps.clock.sleep(Math.min(ACPI_RESEND_MS, Math.max(0, deadline - this.deps.clock.now())), woken.signal).catch(() => undefined);
      this.waiters.delete(wake);
    }
    const { state } = await this.deps.virsh.state(g.cfg.name);
    g.run = runOf(state);
    return g.run === 'shut-off';
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
