// The steps `cryptvm plan` prints are the steps the daemon executes: for a set of configs (hand-made and
// seeded random), the real daemon on the stateful fake host runs exactly the planned boot and shutdown steps
// (kind, target, layer), read from its typed step log events, in layer order; the fake host sees the same
// layers (every ACPI request of a layer sees the same running guests, every close sees none).
import { describe, expect, it } from 'vitest';
import type { Config, GuestConfig, VolumeConfig } from '../../../src/config/types.js';
import type { KeySource } from '../../../src/keys/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { stepTarget, withFallbacks, type Step } from '../../../src/planner/steps.js';
import type { StepLogFields, StepRef } from '../../../src/daemon/steps.js';
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

const IMG = { mount: { where: '/srv/img', options: '', type: undefined } };
/** A guest with no OS ignores ACPI: its on_timeout fallback runs after this long. */
const DEAF_TIMEOUT_MS = 30;

interface Case {
  cfg: Config;
  /** Guests that ignore the ACPI request. */
  deaf: Set<string>;
  saveEncrypted: boolean;
}

/** N volumes, M guests on random volumes (some on a mounted one), random after= edges, some guests deaf to ACPI. */
function randomCase(seed: number): Case {
  const r = rng(seed);
  const nv = 1 + Math.floor(r() * 4);
  const ng = 1 + Math.floor(r() * 7);
  const volumes: VolumeConfig[] = Array.from({ length: nv }, (_, i) => volume(`cr_${i}`, i === 0 && r() < 0.5 ? IMG : {}));
  const deaf = new Set<string>();
  const guests: GuestConfig[] = Array.from({ length: ng }, (_, i) => {
    const after = Array.from({ length: i }, (_, j) => `g${j}`).filter(() => r() < 0.3);
    if (r() < 0.25) deaf.add(`g${i}`);
    return guest(`g${i}`, { after, shutdownTimeoutMs: deaf.has(`g${i}`) ? DEAF_TIMEOUT_MS : 2_000, onTimeout: r() < 0.5 ? 'managedsave' : 'destroy' });
  });
  return { cfg: config(volumes, guests, { bootWaitMs: 200, parallelShutdown: 16 }), deaf, saveEncrypted: r() < 0.5 };
}

function hostFor(c: Case, clock: FakeClock): { host: FakeHost; links: Map<string, string> } {
  const host = new FakeHost({ clock });
  for (const v of c.cfg.volumes) host.disk(v.device, `key-${v.name}`);
  const links = new Map<string, string>();
  c.cfg.guests.forEach((g, i) => {
    const v = c.cfg.volumes[i % c.cfg.volumes.length]!;
    links.set(g.name, v.name);
    host.domain(g.name, [v.mount ? `${v.mount.where}/${g.name}.qcow2` : `/dev/mapper/${v.name}`], { acpi: !c.deaf.has(g.name) });
  });
  return { host, links };
}

const label = (s: StepRef) => `${s.layer} ${s.kind} ${s.target}`;
const ref = (s: Step): StepRef => ({ kind: s.kind, target: stepTarget(s), layer: s.layer });
const sorted = (refs: StepRef[]) => refs.map(label).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** The fallbacks a shutdown runs when its guest ignores ACPI: the save (encrypted or not), the destroy when the save is refused. */
function taken(c: Case, s: Step): boolean {
  if (s.kind !== 'save' && s.kind !== 'destroy') return true;
  if (!c.deaf.has(s.guest)) return false;
  return s.when === 'shutdown-timed-out' || !c.saveEncrypted;
}

/** Every step of layer k began after every step of the layers before it was done. */
function layerOrderViolations(events: StepLogFields[]): string[] {
  const out: string[] = [];
  events.forEach((e, i) => {
    if (e.event !== 'step-started') return;
    const earlier = events.filter((x) => x.event === 'step-started' && x.step.layer < e.step.layer);
    for (const x of earlier) {
      const done = events.findIndex((d) => d.event === 'step-done' && label(d.step) === label(x.step));
      if (done < 0 || done > i) out.push(`${label(e.step)} began before ${label(x.step)} was done`);
    }
  });
  return out;
}

async function plannedAndExecuted(c: Case) {
  // Host and daemon share one FakeClock: a layer's guests power off at the same reading, deaf ones time out on it.
  const clock = new FakeClock();
  const { host, links } = hostFor(c, clock);
  // The guests' volumes come from their domain XML; the fake daemon reads no XML before READY, so say them.
  const cfg = { ...c.cfg, guests: c.cfg.guests.map((g) => ({ ...g, volumes: [links.get(g.name)!] })) };
  // Each ACPI request records which guests were running when it was sent: requests of one layer all see
  // the same set (a guest powers off 20 ms on the clock after the request, or not at all), the next layer a smaller one.
  const requests: { guest: string; running: string }[] = [];
  const closes: { volume: string; running: number }[] = [];
  const running = () => [...host.domains].filter(([, d]) => d.state === 'running').map(([n]) => n).sort().join(' ');
  const virsh = { ...host.virsh, shutdown: async (name: string) => { if (!requests.some((q) => q.guest === name)) requests.push({ guest: name, running: running() }); return host.virsh.shutdown(name); } };
  const cryptsetup = { ...host.cryptsetup, close: async (name: string) => { closes.push({ volume: name, running: running().length }); return host.cryptsetup.close(name); } };
  const events: StepLogFields[] = [];
  const log = createLogger({
    level: 'debug',
    sink: { write: (line) => { const j = JSON.parse(line) as Partial<StepLogFields>; if (j.event && j.step) events.push({ event: j.event, step: j.step }); } },
  });
  const units = { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined };
  const { daemon } = daemonOnFakeHost(cfg, host, { log, sources: (v) => [fileKey(`key-${v.name}`)], units, virsh: virsh as FakeHost['virsh'], cryptsetup, saveEncrypted: c.saveEncrypted, clock });

  const bootPlan = (await daemon.plan()).boot;
  await daemon.boot();
  await daemon.startGuests([]);
  await until(() => [...host.domains.values()].every((d) => d.state === 'running'), 'every guest running');
  await until(() => events.filter((e) => e.event === 'step-done').length === bootPlan.length, 'every boot step done');
  const booted = events.splice(0);

  const shutdownPlan = withFallbacks((await daemon.plan()).shutdown);
  await clock.run(daemon.stop());

  // What the fake host saw: guest layers by the running set at each first ACPI request, then the closes.
  const hostLayers: string[][] = [];
  let last: string | undefined;
  for (const q of requests) {
    if (q.running !== last) hostLayers.push([]);
    hostLayers.at(-1)!.push(q.guest);
    last = q.running;
  }
  expect(closes.every((x) => x.running === 0)).toBe(true);
  expect(host.mappings.size).toBe(0);
  const plannedGuestLayers = [...new Set(shutdownPlan.filter((s) => s.kind === 'shutdown').map((s) => s.layer))].map((l) =>
    shutdownPlan.filter((s) => s.kind === 'shutdown' && s.layer === l).map(stepTarget).sort().join(' '));

  return {
    boot: { planned: sorted(bootPlan.map(ref)), executed: sorted(booted.filter((e) => e.event === 'step-started').map((e) => e.step)) },
    shutdown: { planned: sorted(shutdownPlan.filter((s) => taken(c, s)).map(ref)), executed: sorted(events.filter((e) => e.event === 'step-started').map((e) => e.step)), order: layerOrderViolations(events) },
    host: { planned: plannedGuestLayers, executed: hostLayers.map((l) => l.sort().join(' ')) },
    booted,
  };
}

/** Returns the kinds of the shutdown steps executed. */
async function expectNoDrift(c: Case, name: string): Promise<Set<string>> {
  const r = await plannedAndExecuted(c);
  expect({ name, steps: r.shutdown.executed }).toEqual({ name, steps: r.shutdown.planned });
  expect({ name, violations: r.shutdown.order }).toEqual({ name, violations: [] });
  expect({ name, layers: r.host.executed }).toEqual({ name, layers: r.host.planned });
  expect({ name, steps: r.boot.executed }).toEqual({ name, steps: r.boot.planned });
  // The boot is event-driven, not layered: READY=1 waits for the volumes' states ([daemon] ready), and a
  // guest starts once its own volumes are open. What holds: a mount right after its own open, every start
  // after READY=1 and after its after= guests.
  const at = (event: string, kind: string, target: string) => r.booted.findIndex((e) => e.event === event && e.step.kind === kind && e.step.target === target);
  for (const v of c.cfg.volumes.filter((x) => x.mount)) expect(at('step-started', 'mount', v.name)).toBeGreaterThan(at('step-done', 'open', v.name));
  for (const g of c.cfg.guests) {
    expect(at('step-started', 'start', g.name)).toBeGreaterThan(at('step-done', 'ready', 'cryptvm.service'));
    for (const pred of g.after) expect(at('step-started', 'start', g.name)).toBeGreaterThan(at('step-done', 'start', pred));
  }
  return new Set(r.shutdown.executed.map((l) => l.split(' ')[1]!));
}

describe('plan vs execution: the printed steps are the executed steps', () => {
  const vols = [volume('cr_a'), volume('cr_b', IMG)];
  const hand = (guests: GuestConfig[], deaf: string[] = [], saveEncrypted = false): Case => ({
    cfg: config(vols, guests.map((g) => ({ ...g, shutdownTimeoutMs: deaf.includes(g.name) ? DEAF_TIMEOUT_MS : 2_000 })), { bootWaitMs: 200, parallelShutdown: 16 }),
    deaf: new Set(deaf),
    saveEncrypted,
  });

  it('a chain, a diamond, independent guests, and guests that ignore ACPI (destroy, a refused and a done managedsave)', async () => {
    await expectNoDrift(hand([guest('dns'), guest('imap', { after: ['dns'] }), guest('office')]), 'chain');
    await expectNoDrift(hand([guest('db'), guest('app1', { after: ['db'] }), guest('app2', { after: ['db'] }), guest('lb', { after: ['app1', 'app2'] })]), 'diamond');
    await expectNoDrift(hand([guest('a'), guest('b'), guest('c')]), 'independent');
    await expectNoDrift(hand([guest('dns'), guest('imap', { after: ['dns'], onTimeout: 'managedsave' }), guest('office')], ['imap', 'office']), 'deaf, save refused');
    await expectNoDrift(hand([guest('dns', { onTimeout: 'managedsave' }), guest('imap', { after: ['dns'] })], ['dns'], true), 'deaf, saved');
  });

  it('the same for 12 seeded random configs', async () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) for (const k of await expectNoDrift(randomCase(seed), `seed ${seed}`)) kinds.add(k);
    // The seeds reach every shutdown kind: fallbacks and unmounts are compared too, not only shutdowns.
    expect([...kinds].sort()).toEqual(['close', 'destroy', 'save', 'shutdown', 'unmount']);
  });
});
