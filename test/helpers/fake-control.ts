// A stateful fake DaemonControl: volumes and guests live in memory and change the way the daemon would
// change them. It throws on uses the real API must never make (unknown names reach it only if the D-Bus
// layer forgot to validate), and `failNext` injects an error into the next call of a method.
import type { ChangeEvent, DaemonControl, DaemonStatus, GuestStatus, Plan, Step, UnlockTicket, VolumePhase, VolumeStatus } from '../../src/api/types.js';
import { CryptvmError } from '../../src/errors.js';

export interface FakeVolume {
  name: string;
  device?: string;
  state?: VolumePhase;
}
export interface FakeGuest {
  name: string;
  volumes: string[];
  autostart?: boolean;
  running?: boolean;
}

type Method = 'plan' | 'unlock' | 'lock' | 'startGuests' | 'stopGuests' | 'reload' | 'status';

export class FakeControl implements DaemonControl {
  readonly volumes = new Map<string, VolumeStatus>();
  readonly guests = new Map<string, GuestStatus>();
  readonly calls: string[] = [];
  private listeners = new Set<(e: ChangeEvent) => void>();
  private failures = new Map<Method, unknown>();
  private askCounter = 0;
  conflicts: string[] = [];
  /** What the console prompt still waits for at boot (`cryptvm wait --prompts`). */
  consoleWait: string[] = [];

  constructor(volumes: FakeVolume[], guests: FakeGuest[]) {
    for (const v of volumes) {
      const device = v.device ?? `/dev/vg/${v.name}`;
      this.volumes.set(v.name, { name: v.name, device, resolvedDevice: device.startsWith('/') ? device : `/dev/vg/${v.name}`, state: v.state ?? 'locked', keySource: v.state === 'open' ? 'keyfile:/k' : undefined, skipped: [], mount: undefined, mounted: false, holders: [], guests: [], askId: undefined, error: undefined, removed: false });
    }
    for (const g of guests) {
      for (const v of g.volumes) this.vol(v).guests.push(g.name);
      this.guests.set(g.name, { name: g.name, state: g.running ? 'running' : 'shut-off', waitingFor: [], volumes: g.volumes, autostart: g.autostart ?? true, libvirtAutostart: false, error: undefined });
    }
    for (const g of this.guests.values()) g.waitingFor = g.volumes.filter((v) => this.vol(v).state !== 'open');
  }

  failNext(method: Method, error: unknown): void {
    this.failures.set(method, error);
  }

  private enter(method: Method, detail = ''): void {
    this.calls.push(detail ? `${method} ${detail}` : method);
    const e = this.failures.get(method);
    if (e !== undefined) {
      this.failures.delete(method);
      throw e;
    }
  }

  private vol(name: string): VolumeStatus {
    const v = this.volumes.get(name);
    if (!v) throw new Error(`FakeControl: unexpected use of unknown volume ${name}`);
    return v;
  }

  private guest(name: string): GuestStatus {
    const g = this.guests.get(name);
    if (!g) throw new Error(`FakeControl: unexpected use of unknown guest ${name}`);
    return g;
  }

  private emit(e: ChangeEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** The "daemon side" of tests: a volume changes state (e.g. opens after a right passphrase). */
  setVolume(name: string, state: VolumePhase, error?: string): void {
    const v = this.vol(name);
    Object.assign(v, { state, error, askId: state === 'waiting-passphrase' ? v.askId : undefined, keySource: state === 'open' ? 'prompt' : v.keySource });
    this.emit({ kind: 'volume', volume: { ...v } });
    for (const g of this.guests.values()) {
      g.waitingFor = g.volumes.filter((x) => this.vol(x).state !== 'open');
      if (g.state === 'waiting' && g.waitingFor.length === 0) this.setGuest(g, 'running');
    }
  }

  private setGuest(g: GuestStatus, state: GuestStatus['state']): void {
    g.state = state;
    this.emit({ kind: 'guest', guest: { ...g } });
  }

  status(): DaemonStatus {
    this.enter('status');
    const open = [...this.volumes.values()].filter((v) => v.state === 'open').length;
    return { phase: 'ready', status: `${open}/${this.volumes.size} volumes open`, configPath: '/etc/cryptvm/cryptvm.toml', volumes: [...this.volumes.values()].map((v) => ({ ...v })), guests: [...this.guests.values()].map((g) => ({ ...g })), consoleWait: [...this.consoleWait] };
  }

  async plan(): Promise<Plan> {
    this.enter('plan');
    const vols = [...this.volumes.values()];
    const guests = [...this.guests.values()];
    return {
      boot: [
        ...vols.map((v): Step => ({ kind: 'open', layer: 1, volume: v.name, device: v.device, keys: [`keyfile:/etc/cryptvm/keys/${v.name}`], passphraseGroup: undefined, open: v.state === 'open' })),
        ...guests.map((g): Step => ({ kind: 'start', layer: 4, guest: g.name, volumes: g.volumes, after: [], delayMs: 0, fromLibvirtAutostart: false })),
      ],
      shutdown: [
        ...guests.map((g): Step => ({ kind: 'shutdown', layer: 1, guest: g.name, timeoutMs: 180_000, onTimeout: 'destroy', fallback: { kind: 'destroy', layer: 1, guest: g.name, when: 'shutdown-timed-out' } })),
        ...vols.map((v): Step => ({ kind: 'close', layer: 2, volume: v.name, mapping: `/dev/mapper/${v.name}`, timeoutMs: 60_000 })),
      ],
      conflicts: this.conflicts,
    };
  }

  async unlock(names: string[]): Promise<UnlockTicket[]> {
    this.enter('unlock', names.join(','));
    const targets = names.length ? names.map((n) => this.vol(n)) : [...this.volumes.values()].filter((v) => v.state !== 'open');
    const tickets: UnlockTicket[] = [];
    for (const v of targets) {
      if (v.state === 'open') continue;
      v.askId ??= `cryptvm-test:${v.name}:${process.pid}:${++this.askCounter}`;
      this.setVolume(v.name, 'waiting-passphrase');
      tickets.push({ volume: v.name, askId: v.askId });
    }
    return tickets;
  }

  async lock(name: string, stopGuests: boolean): Promise<void> {
    this.enter('lock', `${name} ${stopGuests}`);
    const v = this.vol(name);
    const running = v.guests.map((g) => this.guest(g)).filter((g) => g.state === 'running');
    if (running.length && !stopGuests) {
      throw new CryptvmError('Busy', `volume ${name} is in use by running guest ${running.map((g) => g.name).join(', ')}; stop it first or use --stop-guests`, { volume: name });
    }
    for (const g of running) this.setGuest(g, 'shut-off');
    this.setVolume(name, 'locked');
  }

  async startGuests(names: string[]): Promise<void> {
    this.enter('startGuests', names.join(','));
    const targets = names.length ? names.map((n) => this.guest(n)) : [...this.guests.values()].filter((g) => g.autostart);
    for (const g of targets) this.setGuest(g, g.waitingFor.length ? 'waiting' : 'running');
  }

  async stopGuests(names: string[], wait: boolean): Promise<void> {
    this.enter('stopGuests', `${names.join(',')} ${wait}`);
    const targets = names.length ? names.map((n) => this.guest(n)) : [...this.guests.values()];
    for (const g of targets) this.setGuest(g, 'shut-off');
  }

  async reload(): Promise<void> {
    this.enter('reload');
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
