// Volumes: find the device, check it, adopt or open the mapping (volume-prepare.ts), mount; and the reverse
// at stop (volume-close.ts). The open, mount, unmount and close steps' executors.
// The only code that sequences cryptsetup/dm/mount calls for a volume. Errors end up in the volume's record
// (and are logged here, once); nothing is thrown to the caller except from unmount(), close() and ensureMounted().
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import type { VolumeConfig } from '../config/types.js';
import { CryptvmError, errorMessage } from '../errors.js';
import type { Cryptsetup } from '../adapters/cryptsetup.js';
import type { DeviceMapper } from '../adapters/dm.js';
import type { Devices } from '../adapters/devices.js';
import type { Mounts } from '../adapters/mount.js';
import type { KeySource } from '../keys/types.js';
import { unlockWithChain } from '../keys/chain.js';
import { tryWithHint, type KeyslotHints } from '../keys/hints.js';
import { Semaphore } from './semaphore.js';
import { explainInUse } from './adoption.js';
import type { Clock } from '../clock.js';
import { newRecord, type VolumeRecord } from './volume-state.js';
import { LuksIdentities } from './luks-identity.js';
import { prepareVolume, type PrepareOps } from './volume-prepare.js';
import { closeNow, unmountNow, type CloseOps } from './volume-close.js';

export interface VolumeDeps {
  cryptsetup: Pick<Cryptsetup, 'isLuks' | 'luksUuid' | 'metadata' | 'unlockCost' | 'open' | 'openDetailed' | 'close'>;
  /** Remembered keyslots per (volume, source): one PBKDF run instead of one per slot. */
  hints?: KeyslotHints;
  dm: Pick<DeviceMapper, 'findMapping' | 'isMappingOf' | 'holders' | 'holdersOfDevice' | 'mappingState' | 'removeHalfMade'>;
  devices: Pick<Devices, 'waitFor' | 'linkPath'> & Partial<Pick<Devices, 'readError'>>;
  mounts: Pick<Mounts, 'isMounted' | 'mount' | 'unmount' | 'usersOf'>;
  /** Key sources for a volume (forcePrompt: `cryptvm unlock` adds a prompt when the chain has none). */
  sources(volume: VolumeConfig, forcePrompt: boolean): KeySource[];
  /** Guests waiting on a volume (for prompts and logs). */
  guestsOf(volume: string): string[];
  log: Logger;
  onChange(volume: string): void;
  /** The close retries and their deadline. */
  clock: Clock;
}

export class VolumeManager {
  readonly records = new Map<string, VolumeRecord>();
  readonly pbkdf = new Semaphore(1);
  private readonly identities = new LuksIdentities();

  constructor(private readonly deps: VolumeDeps) {}

  /**
   * The configured volumes after a (re)load. A volume no longer configured is forgotten when it is not open
   * (a pending unlock or prompt is cancelled); an open one is kept, marked removed, and never closed here.
   */
  setVolumes(volumes: readonly VolumeConfig[]): void {
    const configured = new Set(volumes.map((v) => v.name));
    for (const [name, r] of this.records) {
      if (configured.has(name)) continue;
      if (r.phase === 'open' || r.phase === 'closing') {
        r.removed = true;
        this.deps.log.warn(ev('volume-removed-left-open', { volume: name, guests: this.deps.guestsOf(name) }), `volume ${name} was removed from the configuration but is open: left open (a reload never closes a mapping); run cryptvm lock ${name} to close it`);
      } else {
        r.abort.abort();
        this.records.delete(name);
        this.deps.log.info(ev('volume-removed', { volume: name }), 'volume removed from the configuration: no longer unlocked');
      }
    }
    for (const cfg of volumes) {
      const r = this.records.get(cfg.name);
      if (r) Object.assign(r, { cfg, removed: false });
      else this.records.set(cfg.name, newRecord(cfg));
    }
  }

  /** `cryptvm unlock`: asks a person even for a headless volume; a failed one starts again from the beginning. */
  unlockAgain(name: string): Promise<void> {
    const r = this.mustGet(name);
    // Try again from the start (the device may have appeared, a conflicting mapping may be gone).
    if (r.phase === 'failed') Object.assign(r, { phase: 'locked', device: undefined, error: undefined });
    return this.ensureOpen(name, true);
  }

  /** Resolve, check and adopt-or-unlock one volume; joins an open already queued or running for it. */
  ensureOpen(name: string, forcePrompt = false): Promise<void> {
    const r = this.mustGet(name);
    if (r.phase === 'open' && r.pending === 0) return Promise.resolve();
    // A cancelled open (a lock came after it) is not joined: this request queues behind that lock.
    if (!r.task || r.abort.signal.aborted) {
      if (r.abort.signal.aborted) r.abort = new AbortController();
      const { signal } = r.abort;
      const task = this.enqueue(r, async () => {
        if (r.phase !== 'open' && !signal.aborted) await this.run(r, forcePrompt, signal);
      });
      r.task = task;
      void task.finally(() => {
        if (r.task === task) r.task = undefined;
      });
    }
    return r.task;
  }

  /** Runs fn after every operation queued before it on this volume (one queue per volume). */
  private enqueue<T>(r: VolumeRecord, fn: () => Promise<T>): Promise<T> {
    r.pending++;
    const p = r.queue.then(fn).finally(() => void r.pending--);
    r.queue = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** After an aborted open or a failed close: the phase is what the kernel has, never a transitional one. */
  private async reconcile(r: VolumeRecord, error?: string): Promise<void> {
    const mapping = await this.deps.dm.findMapping(r.cfg.name).catch(() => undefined);
    if (mapping === undefined) {
      // Cannot ask the kernel: say so rather than pretend.
      this.set(r, { phase: 'failed', error: error ?? 'cannot read the device-mapper table; see cryptvm status after fixing dmsetup' });
      return;
    }
    const mounted = r.cfg.mount ? this.deps.mounts.isMounted(r.cfg.mount.where) : false;
    if (mapping) this.set(r, { phase: 'open', mounted, keySource: r.keySource ?? 'adopted', error });
    else this.set(r, { phase: 'locked', mounted: false, keySource: undefined, error });
  }

  private async run(r: VolumeRecord, forcePrompt: boolean, signal: AbortSignal, alone = false): Promise<void> {
    const log = this.deps.log.child({ volume: r.cfg.name });
    try {
      if (!(await prepareVolume(this.prepareOps, r, signal))) return;
      this.set(r, { phase: 'unlocking', error: undefined });
      const { cryptsetup } = this.deps;
      const device = r.device as string;
      const cfg = r.cfg;
      const opts = { header: cfg.header, discard: cfg.discard, readonly: cfg.readonly, signal, volume: cfg.name };
      const hints = this.deps.hints;
      // After a cryptsetup was SIGKILLed (the OOM killer, mostly), the retry runs with no other PBKDF beside it.
      const gate = <T>(fn: () => Promise<T>): Promise<T> => (alone ? this.pbkdf.useAlone(fn) : this.pbkdf.use(fn));
      const result = await unlockWithChain(
        {
          volume: cfg,
          // The prompt's Id names the device as configured (cryptsetup:/dev/volgrp4/lv…), not /dev/dm-N.
          device: this.deps.devices.linkPath(cfg.device),
          guests: this.deps.guestsOf(cfg.name),
          signal,
          credentialsDir: process.env.CREDENTIALS_DIRECTORY,
          runExclusive: (fn) => gate(fn),
        },
        this.deps.sources(cfg, forcePrompt),
        (key, source, bound) =>
          gate(async () =>
            hints
              ? (await tryWithHint(hints, cfg.name, source, (keySlot) => cryptsetup.openDetailed(device, cfg.name, key, { ...opts, keySlot }), log, bound)).result
              : cryptsetup.open(device, cfg.name, key, opts),
          ),
        log,
      );
      if (!result.opened) {
        if (signal.aborted) return await this.reconcile(r);
        this.set(r, { phase: 'locked', error: `no key source opened it: ${result.reasons.join('; ')}` });
        log.warn(ev('volume-still-locked', { reasons: result.reasons }), 'volume still locked: no key source opened it; run `cryptvm unlock` to try again');
        return;
      }
      log.info(ev('volume-opened', { source: result.source, skipped: result.skipped }), 'volume opened');
      r.keySource = result.source;
      r.skipped = result.skipped;
      await this.mountIfNeeded(r, log);
      this.set(r, { phase: 'open' });
    } catch (e) {
      if (signal.aborted) return await this.reconcile(r);
      if (!alone && /\bkilled by SIGKILL\b/.test(errorMessage(e))) {
        log.error(ev('volume-open-killed', { err: e }), `${errorMessage(e)} — probably the OOM killer (see the kernel log): trying once more with no other unlock running`);
        return await this.run(r, forcePrompt, signal, true);
      }
      const err = await explainInUse(this.deps, r, e);
      this.set(r, { phase: 'failed', error: errorMessage(err) });
      log.error(ev('volume-open-failed', { err }), errorMessage(err));
    }
  }

  private async mountIfNeeded(r: VolumeRecord, log: Logger): Promise<void> {
    const m = r.cfg.mount;
    if (!m || this.deps.mounts.isMounted(m.where)) {
      r.mounted = Boolean(m);
      return;
    }
    await this.deps.mounts.mount(`/dev/mapper/${r.cfg.name}`, m.where, { options: m.options, type: m.type });
    r.mounted = true;
    log.info(ev('filesystem-mounted', { where: m.where }), 'filesystem mounted');
  }

  /**
   * The `unmount` step: unmount, retrying while busy up to `timeoutMs`; throws Busy naming the holders. A
   * pending open is cancelled; the unmount runs after it in the volume's queue.
   */
  unmount(name: string, timeoutMs: number): Promise<void> {
    return this.closing(name, (r) => unmountNow(this.closeOps, r, timeoutMs));
  }

  /**
   * The `close` step: unmount when still mounted, close, retrying while busy up to `timeoutMs`. Throws Busy
   * naming the holders. A pending open is cancelled; the close runs after it in the volume's queue, so
   * every caller gets the real outcome.
   */
  close(name: string, timeoutMs: number): Promise<void> {
    return this.closing(name, (r) => closeNow(this.closeOps, r, timeoutMs));
  }

  private get prepareOps(): PrepareOps {
    return { deps: this.deps, identities: this.identities, known: (n) => this.records.has(n), set: (r, patch) => this.set(r, patch), mount: (r, log) => this.mountIfNeeded(r, log) };
  }

  private get closeOps(): CloseOps {
    return { deps: this.deps, set: (r, patch) => this.set(r, patch), forget: (r) => this.forget(r) };
  }

  private closing(name: string, fn: (r: VolumeRecord) => Promise<void>): Promise<void> {
    const r = this.mustGet(name);
    r.abort.abort();
    return this.enqueue(r, async () => {
      // 'closing': its unmount step went first.
      if (r.phase !== 'open' && r.phase !== 'closing') return;
      try {
        await fn(r);
      } catch (e) {
        // Unmount or close failed: the phase follows the kernel (open with the error, or locked), never `closing`.
        if ((r.phase as string) === 'closing') await this.reconcile(r, errorMessage(e));
        throw e;
      }
    });
  }

  /**
   * The `mount` step. Its open mounts the filesystem within the same queued task (a volume counts as open only
   * once mounted), so this mounts only an open volume that is not; never one whose open was cancelled (a stop).
   */
  ensureMounted(name: string): Promise<void> {
    const r = this.mustGet(name);
    const { signal } = r.abort;
    return this.enqueue(r, async () => {
      if (r.phase === 'open' && !signal.aborted) await this.mountIfNeeded(r, this.deps.log.child({ volume: name }));
    });
  }

  /** Stop waiting for devices and passphrases (daemon stopping). */
  abortAll(): void {
    for (const r of this.records.values()) r.abort.abort();
  }

  mustGet(name: string): VolumeRecord {
    const r = this.records.get(name);
    if (!r) throw new CryptvmError('NotFound', `no volume named ${name} in the config; see cryptvm status`, { volume: name });
    return r;
  }

  /** A volume a reload removed from the configuration, now closed: gone from the status. */
  private forget(r: VolumeRecord): void {
    if (this.records.get(r.cfg.name) !== r) return;
    this.records.delete(r.cfg.name);
    this.deps.onChange(r.cfg.name);
  }

  private set(r: VolumeRecord, patch: Partial<VolumeRecord>): void {
    Object.assign(r, patch);
    this.deps.onChange(r.cfg.name);
  }
}
