// 50 concurrent Unlock/Lock/StartGuests calls over the real D-Bus API (private bus, shipped policy) into the
// real Daemon on a stateful fake host: every call gets an answer, and afterwards no volume is in a
// transitional phase and the status equals the kernel's (the fake host's) device-mapper table and mounts.
import { sessionBus, type MessageBus } from 'dbus-next';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApi } from '../../../src/cli/client.js';
import { startApi } from '../../../src/dbus/service.js';
import { createLogger } from '../../../src/log/logger.js';
import type { KeySource } from '../../../src/keys/types.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { config, guest, volume } from '../../helpers/config.js';

const isRoot = process.getuid?.() === 0;
const TRANSITIONAL = new Set(['unlocking', 'closing', 'waiting-device', 'waiting-passphrase']);

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A key file that takes a little while to read: opens overlap with locks. */
const slowKey = (random: () => number): KeySource => ({
  label: 'keyfile:/etc/cryptvm/k',
  get: async () => {
    await delay(Math.floor(random() * 8));
    return { kind: 'key', key: Buffer.from('k'), source: 'keyfile:/etc/cryptvm/k' };
  },
});

describe.skipIf(!isRoot)('concurrent API calls', () => {
  let bus: PrivateBus;
  beforeAll(async () => {
    bus = await startPrivateBus();
  });
  afterAll(async () => {
    await bus?.stop();
  });

  for (const [what, names] of [
    ['one volume', ['cr_a']],
    ['several volumes', ['cr_a', 'cr_b', 'cr_c']],
  ] as const) {
    it(`50 concurrent Unlock/Lock/StartGuests on ${what}: every call answers, no phase is left transitional, status equals dmsetup`, async () => {
      const random = rng(names.length * 7919);
      const h = new FakeHost();
      for (const n of names) h.disk(`/dev/vg/${n}`, 'k').domain(`g_${n}`, n === 'cr_c' ? ['/srv/c/disk.img'] : [`/dev/mapper/${n}`]);
      const vols = names.map((n) => volume(n, n === 'cr_c' ? { mount: { where: '/srv/c', options: '', type: undefined } } : {}));
      const cfg = config(vols, names.map((n) => guest(`g_${n}`, { shutdownTimeoutMs: 50 })), { bootWaitMs: 1_000 });
      const log = createLogger({ level: 'silent' });
      const units = { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined };
      // cryptsetup takes a moment, and a lock during it kills it (the runner's signal): the mapping may or
      // may not have been made by then, as with a real cryptsetup killed mid-open.
      const cryptsetup = {
        ...h.cryptsetup,
        open: async (d: string, n: string, k: Buffer, o: { signal?: AbortSignal } = {}) => {
          await delay(Math.floor(random() * 6));
          const made = random() < 0.5 ? await h.cryptsetup.open(d, n, k) : undefined;
          if (o.signal?.aborted) throw new Error(`cryptsetup open ${d} as ${n} was killed (SIGTERM)`);
          return made ?? h.cryptsetup.open(d, n, k);
        },
      };
      const { daemon, volumes } = daemonOnFakeHost(cfg, h, { log, sources: () => [slowKey(random)], units, cryptsetup });
      await daemon.boot();
      const api = await startApi(daemon, { busAddress: bus.address, log });
      const clientBus: MessageBus = sessionBus({ busAddress: bus.address });
      const client = connectApi({ bus: clientBus, unitState: async () => 'active', timeoutMs: 20_000 });
      try {
        const calls = Array.from({ length: 50 }, (_, i) => {
          // The last calls lock each volume once more: a lock landing on a running open must still end locked.
          const last = i >= 50 - names.length;
          const n = (last ? names[50 - 1 - i] : names[Math.floor(random() * names.length)]) as string;
          const op = last ? 1 : Math.floor(random() * 3);
          const call = op === 0 ? client.unlock([n]) : op === 1 ? client.lock(n, true) : client.startGuests([`g_${n}`]);
          return call.then(
            () => `${i}:ok`,
            (e: Error) => `${i}:${e.message}`,
          );
        });
        const answers = await Promise.all(calls);
        expect(answers).toHaveLength(50);
        // The only refusals are the honest ones: unlocking what is already open.
        for (const a of answers) expect(a).toMatch(/^\d+:(ok|volume cr_\w+ is already open)$/);
        const status = daemon.status();
        for (const v of status.volumes) {
          expect(TRANSITIONAL.has(v.state), `${v.name} left ${v.state}`).toBe(false);
          expect(v.state === 'open', `${v.name}: status ${v.state}, dm table ${h.mappings.has(v.name) ? 'has' : 'lacks'} it`).toBe(h.mappings.has(v.name));
          if (v.mount) expect(v.mounted).toBe([...h.mounts.values()].includes(v.name));
          expect(v.state).not.toBe('failed');
        }
        expect([...volumes.records.values()].every((r) => r.pending === 0)).toBe(true);
      } finally {
        clientBus.disconnect();
        await api.stop();
        await daemon.stop();
      }
    }, 60_000);
  }
});
