// A stateful fake of one KVM host for daemon tests: block devices with LUKS headers, dm mappings, mounts
// and libvirt domains. Its adapters apply calls to that state, record them in `calls`, and throw on anything
// the daemon must never do (libvirt before it is allowed, opening an unknown device, closing a mapping a
// running guest holds is answered 'busy' like the kernel does, and counted).
import type { DomainEvent, DomainState, EventsExit, EventsOptions } from '../../src/adapters/virsh.js';
import type { LuksMetadata } from '../../src/adapters/cryptsetup.js';
import { expectedDmUuid, isMappingOf } from '../../src/adapters/dm.js';
import { CryptvmError } from '../../src/errors.js';
import type { HostAdapters } from '../../src/wiring/daemon.js';
import type { Clock } from '../../src/clock.js';

export interface FakeDisk {
  luksUuid: string;
  passphrase: string;
}

export interface FakeDomain {
  state: DomainState;
  disks: { type: 'block' | 'file'; source: string }[];
  autostart: boolean;
  /** Powers off on ACPI shutdown (false: a guest with no OS). */
  acpi: boolean;
  id: number | null;
}

/** How long a guest that hears ACPI takes to power off. */
const ACPI_OFF_MS = 20;

export class FakeHost {
  /** clock: the guests' power-off time runs on it (default: the real timers). */
  constructor(private readonly opts: { clock?: Pick<Clock, 'sleep'> } = {}) {}

  readonly calls: string[] = [];
  readonly disks = new Map<string, FakeDisk>();
  /** noTable: half-made (a cryptsetup killed mid-open); device: the block device it sits on. */
  readonly mappings = new Map<string, { device: string; uuid: string; suspended?: boolean; noTable?: boolean }>();
  readonly mounts = new Map<string, string>();
  readonly domains = new Map<string, FakeDomain>();
  libvirtAllowed = false;
  busyCloses = 0;
  private nextId = 1;
  private listeners = new Set<(e: DomainEvent) => void>();

  private nextUuid = 0x1000;

  disk(path: string, passphrase: string, luksUuid = `0000${(this.nextUuid++).toString(16)}-0000-4000-8000-000000000000`): this {
    this.disks.set(path, { luksUuid, passphrase });
    return this;
  }

  domain(name: string, disks: string[], over: Partial<FakeDomain> = {}): this {
    this.domains.set(name, { state: 'shut-off', disks: disks.map((source) => ({ type: source.startsWith('/dev/') ? 'block' : 'file', source })), autostart: false, acpi: true, id: null, ...over });
    return this;
  }

  /**
   * The host's state, one line per disk, mapping, mount and domain, sorted: what a table test compares
   * after its steps, and what a failing test prints.
   *
   *   disk /dev/vg/a: luks
   *   mapping cr_a on /dev/vg/a
   *   mount /srv/img: cr_img
   *   domain web: running on /dev/mapper/cr_a
   */
  describe(): string {
    const lines = [
      ...[...this.disks.keys()].map((path) => `disk ${path}: luks`),
      ...[...this.mappings].map(([name, m]) => `mapping ${name} on ${m.device}${m.suspended ? ' (suspended)' : ''}${m.noTable ? ' (no table)' : ''}`),
      ...[...this.mounts].map(([where, name]) => `mount ${where}: ${name}`),
      ...[...this.domains].map(([name, d]) => `domain ${name}: ${d.state} on ${d.disks.map((x) => x.source).join(', ')}${d.autostart ? ' (autostart)' : ''}`),
    ];
    return lines.sort().join('\n');
  }

  toString(): string {
    return this.describe();
  }

  /**
   * This host as the wiring takes it: its programs, sd_notify letting libvirt in at READY=1, no systemd, and
   * password agents that refuse any question (a test that expects one passes its own asker).
   */
  adapters(): HostAdapters {
    return {
      cryptsetup: this.cryptsetup,
      dm: this.dm,
      devices: this.devices,
      mounts: this.mountsAdapter,
      virsh: this.virsh,
      asker: { ask: async (o) => Promise.reject(new Error(`unexpected passphrase question ${o.id}: this test gave no asker`)) },
      notifier: {
        notify: async (f) => {
          if (f.READY === '1') this.libvirtAllowed = true;
        },
      },
      units: undefined,
      holders: () => [],
      machine: () => ({ cores: 2, availableKiB: 1_000_000 }),
      saveDirEncrypted: async () => false,
      xmlDir: '/nonexistent',
    };
  }

  private log(call: string): void {
    this.calls.push(call);
  }

  private held(mapping: string): boolean {
    return [...this.domains.values()].some((d) => d.state === 'running' && d.disks.some((x) => x.source === `/dev/mapper/${mapping}` || [...this.mounts].some(([where, m]) => m === mapping && x.source.startsWith(`${where}/`))));
  }

  /** A domain started or stopped from outside the daemon (libvirt itself, a person with virsh). */
  power(name: string, state: 'running' | 'shut-off'): void {
    this.setState(name, this.dom(name), state, state === 'running' ? 'Started' : 'Stopped');
  }

  private setState(name: string, d: FakeDomain, state: DomainState, type: string): void {
    d.state = state;
    d.id = state === 'running' ? this.nextId++ : null;
    for (const l of this.listeners) l({ timestamp: undefined, domain: name, event: 'lifecycle', type, detail: undefined });
  }

  private lv(call: string): void {
    if (!this.libvirtAllowed) throw new Error(`libvirt called before it was allowed (would deadlock at boot): ${call}`);
    this.log(call);
  }

  private dom(name: string): FakeDomain {
    const d = this.domains.get(name);
    if (!d) throw new Error(`unexpected virsh call for unknown domain ${name}`);
    return d;
  }

  /**
   * libvirtd starting: it starts every autostart domain itself; one whose disk is not there fails (recorded
   * as "autostart-failed NAME", as libvirtd logs it) and stays off.
   */
  libvirtdAutostarts(): void {
    for (const [name, d] of this.domains) {
      if (!d.autostart || d.state === 'running') continue;
      const there = d.disks.every((x) => (x.source.startsWith('/dev/mapper/') ? this.mappings.has(x.source.slice(12)) : [...this.mounts.keys()].some((w) => x.source.startsWith(`${w}/`))));
      if (!there) {
        this.log(`autostart-failed ${name}`);
        continue;
      }
      this.log(`autostart ${name}`);
      this.setState(name, d, 'running', 'Started');
    }
  }

  readonly cryptsetup = {
    isLuks: async (device: string) => this.disks.has(device),
    luksUuid: async (device: string) => {
      const d = this.disks.get(device);
      if (!d) throw new Error(`unexpected luksUuid on ${device}`);
      return d.luksUuid;
    },
    metadata: async (device: string): Promise<LuksMetadata> => {
      if (!this.disks.has(device)) throw new Error(`unexpected metadata of unknown device ${device}`);
      return { version: 2, keyslots: [{ id: 0, type: 'luks2', priority: 'normal', pbkdf: { type: 'pbkdf2', iterations: 1000 } }], tokens: [] } as unknown as LuksMetadata;
    },
    unlockCost: () => ({ memoryKiB: 0, threads: 1 }),
    open: async (device: string, name: string, key: Buffer) => {
      const d = this.disks.get(device);
      if (!d) throw new Error(`unexpected open of unknown device ${device}`);
      if (this.mappings.has(name)) throw new Error(`open of ${name} while the mapping exists (cryptsetup exit 5)`);
      const holder = [...this.mappings].find(([, m]) => m.device === device)?.[0];
      if (holder) {
        // What cryptsetup prints, naming the kernel's dm node rather than the configured path.
        throw new CryptvmError('MappingConflict', `volume ${name}: cryptsetup open /dev/dm-4 as ${name} failed: Cannot use device /dev/dm-4 which is in use (already mapped or mounted). — the device is already mapped or mounted under another name (lsblk)`, { volume: name });
      }
      if (key.toString() !== d.passphrase) return 'bad-passphrase' as const;
      this.log(`open ${name}`);
      this.mappings.set(name, { device, uuid: expectedDmUuid(d.luksUuid, name) });
      return 'opened' as const;
    },
    /** Slot 0 holds the passphrase; a hint for another slot is wrong for this key, like cryptsetup --key-slot. */
    openDetailed: async (device: string, name: string, key: Buffer, opts: { keySlot?: number } = {}) => {
      this.log(`open-detailed ${name} slot=${opts.keySlot ?? 'any'}`);
      if (opts.keySlot !== undefined && opts.keySlot !== 0) return { result: 'bad-passphrase' as const };
      const result = await this.cryptsetup.open(device, name, key);
      return result === 'opened' ? { result, keySlot: 0 } : { result };
    },
    close: async (name: string) => {
      if (!this.mappings.has(name)) return 'not-active' as const;
      if (this.held(name) || [...this.mounts.values()].includes(name)) {
        this.busyCloses++;
        return 'busy' as const;
      }
      this.log(`close ${name}`);
      this.mappings.delete(name);
      return 'closed' as const;
    },
  };

  readonly dm = {
    findMapping: async (name: string) => {
      const m = this.mappings.get(name);
      return m ? { name, dmName: 'dm-0', majMin: '253:0', uuid: m.uuid } : null;
    },
    isMappingOf,
    holders: async (name: string) => (this.held(name) ? ['qemu-system-x86 (pid 4242)'] : []),
    mappingState: async (m: { name: string }) => {
      const x = this.mappings.get(m.name);
      if (!x) throw new Error(`unexpected mappingState of ${m.name}, which does not exist`);
      return { hasTable: !x.noTable, suspended: Boolean(x.suspended), slaves: [x.device.split('/').pop() as string] };
    },
    removeHalfMade: async (name: string) => {
      if (!this.mappings.get(name)?.noTable) throw new Error(`removeHalfMade of ${name}, which is not half-made`);
      this.log(`dmsetup remove ${name}`);
      this.mappings.delete(name);
    },
    holdersOfDevice: async (device: string) => [...this.mappings].filter(([, m]) => m.device === device).map(([n]) => `mapping ${n} (dm-5)`),
  };

  readonly devices = {
    linkPath: (spec: string) => spec,
    waitFor: async (spec: string) => {
      if (!this.disks.has(spec)) throw new Error(`unexpected waitFor(${spec})`);
      return spec;
    },
  };

  readonly mountsAdapter = {
    isMounted: (where: string) => this.mounts.has(where),
    mount: async (source: string, where: string) => {
      const name = source.replace('/dev/mapper/', '');
      if (!this.mappings.has(name)) throw new Error(`mount of ${source}, which is not open`);
      this.log(`mount ${name}`);
      this.mounts.set(where, name);
      return 'mounted' as const;
    },
    usersOf: async (where: string) => (this.held(this.mounts.get(where) ?? '') ? ['qemu-system-x86 (pid 4242)'] : []),
    unmount: async (where: string) => {
      const name = this.mounts.get(where);
      if (!name) return 'not-mounted' as const;
      if (this.held(name)) return 'busy' as const;
      this.log(`unmount ${name}`);
      this.mounts.delete(where);
      return 'unmounted' as const;
    },
  };

  readonly virsh = {
    list: async () => {
      this.lv('list');
      return [...this.domains].map(([name, d]) => ({ name, id: d.id, state: d.state }));
    },
    state: async (name: string) => ({ state: this.dom(name).state, reason: '' }),
    disks: async (name: string) => this.dom(name).disks.map((d) => ({ ...d, device: 'disk', target: 'vda', rawType: d.type })),
    autostart: async (name: string) => this.dom(name).autostart,
    events: (opts: EventsOptions): Promise<EventsExit> => {
      this.lv('events');
      this.listeners.add(opts.onEvent);
      return new Promise((resolve) =>
        opts.signal?.addEventListener('abort', () => {
          this.listeners.delete(opts.onEvent);
          resolve({ reason: 'aborted', exitCode: null, error: undefined, command: 'virsh event' });
        }),
      );
    },
    start: async (name: string) => {
      this.lv(`start ${name}`);
      const d = this.dom(name);
      for (const disk of d.disks) {
        const m = disk.source.startsWith('/dev/mapper/') ? disk.source.slice(12) : [...this.mounts].find(([w]) => disk.source.startsWith(`${w}/`))?.[1];
        if (disk.type === 'block' && m && !this.mappings.has(m)) throw new Error(`guest ${name} started while ${m} is closed`);
        if (disk.type === 'file' && !m) throw new Error(`guest ${name} started while its image dir is not mounted`);
      }
      if (d.state === 'running') return 'already-running' as const;
      this.setState(name, d, 'running', 'Started');
      return 'started' as const;
    },
    shutdown: async (name: string) => {
      this.lv(`shutdown ${name}`);
      const d = this.dom(name);
      if (d.state !== 'running') return 'not-running' as const;
      if (d.acpi) {
        const off = () => this.setState(name, d, 'shut-off', 'Stopped');
        if (this.opts.clock) void this.opts.clock.sleep(ACPI_OFF_MS).then(off);
        else setTimeout(off, ACPI_OFF_MS);
      }
      return 'requested' as const;
    },
    destroy: async (name: string) => {
      this.lv(`destroy ${name}`);
      const d = this.dom(name);
      if (d.state !== 'running') return 'not-running' as const;
      this.setState(name, d, 'shut-off', 'Stopped');
      return 'destroyed' as const;
    },
    managedSave: async (name: string) => {
      this.lv(`managedsave ${name}`);
      const d = this.dom(name);
      this.setState(name, d, 'shut-off', 'Stopped');
      return 'saved' as const;
    },
  };
}
