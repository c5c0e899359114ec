// (d) Shutdown parallelism: the daemon (the one wiring, on a fake host; its shutdown steps through the executors) stops N=8 running guests over a fake virsh in which
// each guest powers off T=200 ms after its ACPI request (and says so through the lifecycle event stream, as
// `virsh event` would). parallel_shutdown = 8 against parallel_shutdown = 1 in the same run: ≈ T vs N×T.
import { performance } from 'node:perf_hooks';
import type { DomainEvent, DomainState, EventsExit, EventsOptions } from '../src/adapters/virsh.js';
import { createLogger } from '../src/log/logger.js';
import { config, guest } from '../test/helpers/config.js';
import { daemonOnFakeHost } from '../test/helpers/fake-daemon.js';
import { FakeHost } from '../test/helpers/fake-host.js';
import { round, type Row } from './stats.js';

const T = 200;
const N = 8;

/** Domains that take T ms to power off after ACPI; anything the manager should not call throws. */
class SlowVirsh {
  readonly state = new Map<string, DomainState>();
  private listeners = new Set<(e: DomainEvent) => void>();
  constructor(names: string[]) {
    for (const n of names) this.state.set(n, 'running');
  }
  private get(name: string): DomainState {
    const s = this.state.get(name);
    if (!s) throw new Error(`unexpected virsh call for ${name}`);
    return s;
  }
  api = {
    list: async () => [...this.state].map(([name, state]) => ({ name, id: state === 'running' ? 1 : null, state })),
    state: async (name: string) => ({ state: this.get(name), reason: '' }),
    disks: async () => [],
    autostart: async () => false,
    events: (o: EventsOptions): Promise<EventsExit> => {
      this.listeners.add(o.onEvent);
      return new Promise((resolve) => o.signal?.addEventListener('abort', () => resolve({ reason: 'aborted', exitCode: null, error: undefined, command: 'virsh event' })));
    },
    shutdown: async (name: string) => {
      if (this.get(name) !== 'running') return 'not-running' as const;
      setTimeout(() => {
        this.state.set(name, 'shut-off');
        for (const l of this.listeners) l({ timestamp: undefined, domain: name, event: 'lifecycle', type: 'Stopped', detail: undefined });
      }, T);
      return 'requested' as const;
    },
    start: async (): Promise<never> => Promise.reject(new Error('unexpected start')),
    destroy: async (): Promise<never> => Promise.reject(new Error('unexpected destroy: the guest should have shut down')),
    managedSave: async (): Promise<never> => Promise.reject(new Error('unexpected managedsave')),
  };
}

async function stopAll(parallel: number): Promise<number> {
  const names = Array.from({ length: N }, (_, i) => `g${i}`);
  const cfg = config([], names.map((n) => guest(n, { shutdownTimeoutMs: 10_000 })), { parallelShutdown: parallel });
  const fake = new SlowVirsh(names);
  // The daemon as cryptvmd wires it; 'restart' at the end leaves the (fake) guests alone and ends the watcher.
  const units = { activeState: async () => 'inactive', stopIntent: async () => 'restart', jobType: async () => undefined };
  const { daemon } = daemonOnFakeHost(cfg, new FakeHost(), { log: createLogger({ level: 'silent' }), units, virsh: fake.api as never });
  await daemon.boot();
  await daemon.startGuests([]); // libvirt asked once (every guest already runs): the stop below is all that is timed
  const t0 = performance.now();
  await daemon.stopGuests([], true);
  const ms = performance.now() - t0;
  await daemon.stop();
  if ([...fake.state.values()].some((s) => s !== 'shut-off')) throw new Error('bench: a guest is still running');
  return ms;
}

export async function shutdownBench(): Promise<Row[]> {
  const serial = await stopAll(1);
  const parallel = await stopAll(N);
  const b = 'parallel_shutdown=1';
  return [
    { bench: 'shutdown', case: `${N} guests × ${T} ms, parallel_shutdown=1`, value: round(serial, 0), unit: 'ms', ratio: 1, baseline: b, note: `N×T = ${N * T} ms` },
    { bench: 'shutdown', case: `${N} guests × ${T} ms, parallel_shutdown=${N}`, value: round(parallel, 0), unit: 'ms', ratio: round(parallel / serial), baseline: b, note: `T = ${T} ms` },
  ];
}
