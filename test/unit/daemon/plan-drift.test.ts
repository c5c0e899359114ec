// The shutdown `cryptvm plan` prints is the shutdown the daemon runs: for a set of configs, the layers of
// the printed plan equal the layers the real daemon executes against the stateful fake host.
import { describe, expect, it } from 'vitest';
import type { Config, GuestConfig, VolumeConfig } from '../../../src/config/types.js';
import type { KeySource } from '../../../src/keys/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/test-source.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { config, guest, volume } from '../../helpers/config.js';

const fileKey = (key: string): KeySource => ({
  label: 'keyfile:/k',
  get: async () => ({ kind: 'key', key: Buffer.from(key), source: 'keyfile:/k' }),
});

/** A small deterministic PRNG, so that every run checks the same "random" configs. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** N volumes, M guests on random volumes (some on a mounted one), random after= edges to earlier guests. */
function randomConfig(seed: number): Config {
  const r = rng(seed);
  const nv = 1 + Math.floor(r() * 4);
  const ng = 1 + Math.floor(r() * 7);
  const volumes: VolumeConfig[] = Array.from({ length: nv }, (_, i) =>
    volume(`cr_${i}`, i === 0 && r() < 0.5 ? { mount: { where: '/srv/img', options: '', type: undefined } } : {}));
  const guests: GuestConfig[] = Array.from({ length: ng }, (_, i) => {
    const after = Array.from({ length: i }, (_, j) => `g${j}`).filter(() => r() < 0.3);
    return guest(`g${i}`, { after, shutdownTimeoutMs: 2_000 });
  });
  return config(volumes, guests, { bootWaitMs: 200, parallelShutdown: 16 });
}

function hostFor(cfg: Config, clock: FakeClock): { host: FakeHost; links: Map<string, string> } {
  const host = new FakeHost({ clock });
  for (const v of cfg.volumes) host.disk(v.device, `key-${v.name}`);
  const links = new Map<string, string>();
  cfg.guests.forEach((g, i) => {
    const v = cfg.volumes[i % cfg.volumes.length]!;
    links.set(g.name, v.name);
    host.domain(g.name, [v.mount ? `${v.mount.where}/${g.name}.qcow2` : `/dev/mapper/${v.name}`]);
  });
  return { host, links };
}

const sorted = (layers: string[][]) => layers.map((l) => [...l].sort().join(' '));

async function plannedAndExecuted(cfg: Config): Promise<{ planned: string[]; executed: string[] }> {
  // Host and daemon share one FakeClock: a layer's guests all power off at the same reading.
  const clock = new FakeClock();
  const { host, links } = hostFor(cfg, clock);
  // The guests' volumes come from their domain XML; the fake daemon reads no XML before READY, so say them.
  cfg = { ...cfg, guests: cfg.guests.map((g) => ({ ...g, volumes: [links.get(g.name)!] })) };
  // Each ACPI request records which guests were running when it was sent: requests of one layer all see
  // the same set (the fake host powers a guest off 20 ms on the clock after the request), the next layer a smaller one.
  const requests: { guest: string; running: string }[] = [];
  const closes: { volume: string; running: number }[] = [];
  const running = () => [...host.domains].filter(([, d]) => d.state === 'running').map(([n]) => n).sort().join(' ');
  const virsh = { ...host.virsh, shutdown: async (name: string) => { requests.push({ guest: name, running: running() }); return host.virsh.shutdown(name); } };
  const cryptsetup = { ...host.cryptsetup, close: async (name: string) => { closes.push({ volume: name, running: running().length }); return host.cryptsetup.close(name); } };
  const log = createLogger({ level: 'fatal', sink: { write: () => undefined } });
  const units = { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined };
  const { daemon } = daemonOnFakeHost(cfg, host, { log, sources: (v) => [fileKey(`key-${v.name}`)], units, virsh: virsh as FakeHost['virsh'], cryptsetup, clock });
  await daemon.boot();
  await daemon.startGuests([]);
  await until(() => [...host.domains.values()].every((d) => d.state === 'running'), 'every guest running');

  const plan = await daemon.plan();
  const byLayer = new Map<number, string[]>();
  for (const s of plan.shutdown) {
    if (s.action === 'unmount') continue; // part of its volume's close step, as the daemon does it
    const label = s.action === 'close' ? `close ${s.target}` : s.target;
    byLayer.set(s.layer!, [...(byLayer.get(s.layer!) ?? []), label]);
  }
  const planned = sorted([...byLayer.keys()].sort((a, b) => a - b).map((k) => byLayer.get(k)!));

  await clock.run(daemon.stop());
  const executedLayers: string[][] = [];
  let last: string | undefined;
  for (const q of requests) {
    if (q.running !== last) executedLayers.push([]);
    executedLayers.at(-1)!.push(q.guest);
    last = q.running;
  }
  // Every close runs once no guest runs any more, all in one layer.
  expect(closes.every((c) => c.running === 0)).toBe(true);
  executedLayers.push(closes.map((c) => `close ${c.volume}`));
  expect(host.mappings.size).toBe(0);
  return { planned, executed: sorted(executedLayers) };
}

describe('plan vs execution: the printed shutdown is the executed shutdown', () => {
  it('a chain, a diamond and independent guests', async () => {
    const vols = [volume('cr_a'), volume('cr_b', { mount: { where: '/srv/img', options: '', type: undefined } })];
    const cases = [
      [guest('dns'), guest('imap', { after: ['dns'] }), guest('office')],
      [guest('db'), guest('app1', { after: ['db'] }), guest('app2', { after: ['db'] }), guest('lb', { after: ['app1', 'app2'] })],
      [guest('a'), guest('b'), guest('c')],
    ];
    for (const guests of cases) {
      const { planned, executed } = await plannedAndExecuted(config(vols, guests.map((g) => ({ ...g, shutdownTimeoutMs: 2_000 })), { bootWaitMs: 200, parallelShutdown: 16 }));
      expect(executed).toEqual(planned);
    }
  });

  it('the same for 12 seeded random configs', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { planned, executed } = await plannedAndExecuted(randomConfig(seed));
      expect({ seed, layers: executed }).toEqual({ seed, layers: planned });
    }
  });
});
