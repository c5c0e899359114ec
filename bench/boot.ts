// (e) Boot critical path: service start → all guests running, N=6 volumes × 6 guests (guest i on volume i).
// Each volume is a real LUKS2 file (argon2id 64 MiB, 4 iterations, 1 thread) with its key in a root-only key
// file: every unlock is one real PBKDF run. This kernel has no device-mapper, so the fake host's open first
// runs the real `cryptsetup open --test-passphrase` on the file (same PBKDF cost), then records the mapping.
// Guests take S=300 ms to start (QEMU). The real daemon (planner, managers, semaphore bounded by the real
// cores and MemAvailable; READY=1 when the volumes are settled, then `guests start` as cryptvm-guests.service
// runs it once libvirtd is up) against, in the same run:
//  - baseline: the manual procedure as a script — open each volume, then start each guest, one at a time;
//  - critical path: the same PBKDF runs at the daemon's concurrency bound with nothing else, plus one start.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Cryptsetup } from '../src/adapters/cryptsetup.js';
import { ProcessRunner } from '../src/adapters/exec.js';
import { readMachine } from '../src/daemon/machine.js';
import { KeyFileSource } from '../src/keys/keyfile.js';
import { createLogger } from '../src/log/logger.js';
import { unlockConcurrency } from '../src/planner/unlock.js';
import { config, guest, volume } from '../test/helpers/config.js';
import { daemonOnFakeHost } from '../test/helpers/fake-daemon.js';
import { FakeHost } from '../test/helpers/fake-host.js';
import { makeLuksFile, tempDir } from '../test/helpers/luks.js';
import { median, round, type Row } from './stats.js';

const N = 6;
const START_MS = 300;
const ROUNDS = 3;
const COST = { pbkdf: 'argon2id' as const, memoryKiB: 64 * 1024, iterations: 4, parallel: 1 };

interface Disk {
  name: string;
  file: string;
  keyFile: string;
  key: Buffer;
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${round(x * 100, 1)}%`;

async function makeDisks(dir: string): Promise<Disk[]> {
  const disks: Disk[] = [];
  for (let i = 0; i < N; i++) {
    const key = Buffer.from(`key of volume ${i}`);
    const file = await makeLuksFile(join(dir, `v${i}.img`), { key, ...COST });
    const keyFile = join(dir, `v${i}.key`);
    await writeFile(keyFile, key, { mode: 0o400 });
    disks.push({ name: `cr_v${i}`, file, keyFile, key });
  }
  return disks;
}

/** The daemon from boot() to every guest running; ms, plus when the first guest ran. */
async function daemonBoot(disks: Disk[], cs: Cryptsetup): Promise<{ allMs: number; readyMs: number; peak: number }> {
  const host = new FakeHost();
  for (const d of disks) host.disk(d.file, d.key.toString());
  disks.forEach((d, i) => host.domain(`g${i}`, [`/dev/mapper/${d.name}`]));
  let active = 0;
  let peak = 0;
  const realOpen = async (device: string, key: Buffer): Promise<boolean> => {
    peak = Math.max(peak, ++active);
    try {
      return (await cs.testPassphrase(device, key)) === 'ok';
    } finally {
      active--;
    }
  };
  const cryptsetup = {
    ...host.cryptsetup,
    metadata: (device: string) => cs.metadata(device),
    unlockCost: cs.unlockCost.bind(cs),
    open: async (device: string, name: string, key: Buffer) => ((await realOpen(device, key)) ? host.cryptsetup.open(device, name, key) : ('bad-passphrase' as const)),
    openDetailed: async (device: string, name: string, key: Buffer, opts: { keySlot?: number } = {}) =>
      (await realOpen(device, key)) ? host.cryptsetup.openDetailed(device, name, key, opts) : { result: 'bad-passphrase' as const },
  };
  const virsh = { ...host.virsh, start: async (name: string) => (await delay(START_MS), host.virsh.start(name)) };
  const cfg = config(
    disks.map((d) => volume(d.name, { device: d.file, keys: [{ kind: 'keyfile', path: d.keyFile }] })),
    disks.map((_, i) => guest(`g${i}`)),
    { bootWaitMs: 600_000 },
  );
  let t0 = 0;
  let readyMs = NaN;
  // A fresh boot: cryptvm-guests.service is not active yet; it runs `cryptvm guests start` once libvirtd is up.
  const units = { activeState: async () => 'inactive', stopIntent: async () => 'restart', jobType: async () => undefined };
  const { daemon } = daemonOnFakeHost(cfg, host, {
    log: createLogger({ level: 'silent' }),
    sources: (v) => v.keys.map((k) => new KeyFileSource((k as { path: string }).path)),
    units,
    onNotify: (f) => {
      if (f.READY === '1') readyMs = performance.now() - t0;
    },
    machine: readMachine,
    cryptsetup: cryptsetup as never,
    virsh,
  });
  const running = () => [...host.domains.values()].filter((d) => d.state === 'running').length;
  t0 = performance.now();
  // READY=1, then (systemd) libvirtd and cryptvm-guests.service, whose ExecStart is `cryptvm guests start`.
  const booted = daemon.boot().then(() => daemon.startGuests([]));
  booted.catch(() => undefined);
  while (running() < N) {
    if (performance.now() - t0 > 120_000) throw new Error(`bench: only ${running()}/${N} guests running after 120 s`);
    await delay(2);
  }
  const allMs = performance.now() - t0;
  await booted;
  await daemon.stop(); // 'restart' intent: leaves guests and mappings (fake) as they are
  return { allMs, readyMs, peak };
}

/** The manual procedure: one volume after the other, then one guest after the other. */
async function script(disks: Disk[], cs: Cryptsetup): Promise<number> {
  const t0 = performance.now();
  for (const d of disks) if ((await cs.testPassphrase(d.file, d.key)) !== 'ok') throw new Error(`bench: ${d.file} did not take its key`);
  for (let i = 0; i < disks.length; i++) await delay(START_MS);
  return performance.now() - t0;
}

/** Lower bound at a given concurrency: the PBKDF runs in a pool of `limit`, then one guest start. */
async function criticalPath(disks: Disk[], cs: Cryptsetup, limit: number): Promise<number> {
  const t0 = performance.now();
  const queue = [...disks];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let d = queue.shift(); d; d = queue.shift()) await cs.testPassphrase(d.file, d.key);
  }));
  await delay(START_MS);
  return performance.now() - t0;
}

export async function bootBench(): Promise<Row[]> {
  const tmp = await tempDir('cryptvm-bench-boot-');
  try {
    const disks = await makeDisks(tmp.dir);
    const cs = new Cryptsetup(new ProcessRunner());
    const machine = readMachine();
    const costs = await Promise.all(disks.map(async (d) => cs.unlockCost(await cs.metadata(d.file))));
    const bound = unlockConcurrency(costs, machine, 0);
    // Interleaved rounds, medians: drift of the machine hits all three alike.
    const serials: number[] = [];
    const ideals: number[] = [];
    const runs: Awaited<ReturnType<typeof daemonBoot>>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      serials.push(await script(disks, cs));
      ideals.push(await criticalPath(disks, cs, bound));
      runs.push(await daemonBoot(disks, cs));
    }
    const peak = Math.max(...runs.map((r) => r.peak));
    if (peak !== bound) throw new Error(`bench: the daemon ran up to ${peak} PBKDF at a time, expected ${bound}`);
    const serial = median(serials);
    const ideal = median(ideals);
    const d = { allMs: median(runs.map((r) => r.allMs)), readyMs: median(runs.map((r) => r.readyMs)) };
    const b = 'sequential script';
    const what = `${N} volumes (argon2id 64 MiB) × ${N} guests (start ${START_MS} ms), ${machine.cores} cores`;
    return [
      { bench: 'boot', case: 'manual script: open all, then start all', value: round(serial, 0), unit: 'ms', ratio: 1, baseline: b, note: what },
      { bench: 'boot', case: `critical path (${bound} PBKDF at a time + 1 start)`, value: round(ideal, 0), unit: 'ms', ratio: round(ideal / serial), baseline: b },
      { bench: 'boot', case: 'cryptvmd: start → all guests running', value: round(d.allMs, 0), unit: 'ms', ratio: round(d.allMs / serial), baseline: b, note: `${pct(d.allMs / ideal - 1)} vs the critical path (median of ${ROUNDS})` },
      { bench: 'boot', case: 'cryptvmd: start → READY=1 (volumes settled)', value: round(d.readyMs, 0), unit: 'ms', ratio: round(d.readyMs / serial), baseline: b, note: `median of ${ROUNDS}` },
    ];
  } finally {
    await tmp.cleanup();
  }
}
