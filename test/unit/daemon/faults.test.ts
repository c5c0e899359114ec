// Faults real hosts have, against the real Daemon, managers and prompt broker on a stateful fake host:
// a broken piece never blocks the rest, nothing gets stuck in a transitional phase, every deadline holds.
// The daemon runs on a FakeClock: boot_wait, shutdown timeouts, the ACPI resend and libvirt's backoff pass when
// the test moves the clock.
import { describe, expect, it } from 'vitest';
import type { KeySource } from '../../../src/keys/types.js';
import type { StopIntent } from '../../../src/adapters/systemd.js';
import { createLogger } from '../../../src/log/logger.js';
import type { LogEvent } from '../../../src/log/events.js';
import { PromptBroker } from '../../../src/keys/broker.js';
import { PromptSource } from '../../../src/keys/prompt.js';
import { expectedDmUuid } from '../../../src/adapters/dm.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeAsker } from '../../helpers/fake-asker.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { daemonOnFakeHost, type FakeDaemonOptions } from '../../helpers/fake-daemon.js';
import { until } from '../../helpers/test-source.js';
import { config as baseConfig, guest, volume } from '../../helpers/config.js';
import type { Config, VolumeConfig } from '../../../src/config/types.js';

interface SetupOptions {
  intent?: StopIntent | Error;
  guestsUnitActive?: boolean;
  sources?: (v: VolumeConfig, broker: PromptBroker) => KeySource[];
  extra?: Partial<FakeDaemonOptions>;
}

// These tests are about faults, not about when READY comes: READY waits for every volume, as with ready = "all".
const config = (...[v, g, d = {}]: Parameters<typeof baseConfig>) => baseConfig(v, g, { ready: 'all', ...d });

function setup(cfg: Config, host: FakeHost, opts: SetupOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
  const notes: Record<string, string>[] = [];
  const asker = new FakeAsker();
  const clock = new FakeClock();
  const units = {
    activeState: async (u: string) => (u === 'cryptvm-guests.service' ? (opts.guestsUnitActive ? 'active' : 'inactive') : 'active'),
    stopIntent: async () => {
      if (opts.intent instanceof Error) throw opts.intent;
      return opts.intent ?? 'stop';
    },
    jobType: async () => undefined,
  };
  // The wiring's own broker over the asker, as in cryptvmd (gathering for 1 ms, not a second).
  const made = daemonOnFakeHost(cfg, host, {
    log,
    sources: opts.sources ? (v, broker) => opts.sources!(v, broker) : undefined,
    units,
    onNotify: (f) => void notes.push(f),
    asker,
    gatherMs: 1,
    clock,
    ...opts.extra,
  });
  const msgs = () => lines.map((l) => JSON.parse(l) as { msg: string; volume?: string; guest?: string; level: number; err?: unknown; event?: LogEvent; intent?: string; why?: string });
  return { ...made, asker, clock, notes, lines, msgs };
}

/** The broker's gather (1 ms here) passes on the clock: the request being made now is put to the asker. */
async function gather(s: { clock: FakeClock; asker: FakeAsker }): Promise<void> {
  const before = s.asker.asks.length;
  await s.clock.armed(s.clock.now() + 1);
  expect(s.asker.asks.length, 'asked before the gather passed').toBe(before);
  await s.clock.advance(1);
}

/** boot() while the clock passes boot_wait (ms): for boots that end at boot_wait with a volume still waiting. */
async function bootThrough(s: { daemon: { boot(): Promise<void> }; clock: FakeClock }, ms: number): Promise<void> {
  const booted = s.daemon.boot();
  await s.clock.advance(ms);
  await booted;
}


describe('prompts: tries used up, empty answers', () => {
  it('`cryptvm unlock` after the tries are used up re-arms the volume and asks again (real broker)', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'right');
    const s = setup(config([volume('cr_a')], [], { bootWaitMs: 50 }), h);
    const { daemon, asker } = s;
    await bootThrough(s, 50);
    for (let i = 0; i < 3; i++) {
      if (i > 0) await gather(s); // the first prompt came up while boot_wait passed
      await until(() => asker.open.length === 1, `prompt ${i + 1}`);
      asker.open[0]?.answer('wrong');
    }
    await until(() => daemon.status().volumes[0]?.state === 'locked' && asker.open.length === 0 && daemon.status().volumes[0]?.error !== undefined, 'gave up');
    expect(asker.asked).toHaveLength(3);
    const unlocking = daemon.unlock(['cr_a']);
    await gather(s);
    const tickets = await unlocking;
    expect(tickets).toEqual([{ volume: 'cr_a', askId: 'cryptsetup:/dev/vg/cr_a' }]);
    expect(asker.open).toHaveLength(1);
    asker.open[0]?.answer('right');
    await until(() => daemon.status().volumes[0]?.state === 'open', 'open after the fourth answer');
    expect(h.mappings.has('cr_a')).toBe(true);
  });
});

describe('empty answers', () => {
  function counting(h: FakeHost) {
    const keys: string[] = [];
    const cryptsetup = { ...h.cryptsetup, openDetailed: async (d: string, n: string, k: Buffer, o?: { keySlot?: number }) => (keys.push(k.toString()), h.cryptsetup.openDetailed(d, n, k, o)), open: async (d: string, n: string, k: Buffer) => (keys.push(k.toString()), h.cryptsetup.open(d, n, k)) };
    return { keys, cryptsetup };
  }

  it('Enter on an empty line is asked again, counts as a try, and never reaches cryptsetup', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'right');
    const c = counting(h);
    const s = setup(config([volume('cr_a')], [], { bootWaitMs: 50 }), h, { extra: { cryptsetup: c.cryptsetup } });
    const { daemon, asker } = s;
    await bootThrough(s, 50);
    await until(() => asker.open.length === 1, 'first prompt');
    asker.open[0]?.answer('');
    await gather(s);
    await until(() => asker.asked.length === 2 && asker.open.length === 1, 'asked again');
    expect(asker.asked[1]?.message).toMatch(/^Empty passphrase, try again\. Please enter passphrase for disk cr_a/);
    expect(daemon.status().volumes[0]?.state).toBe('waiting-passphrase');
    asker.open[0]?.answer('right');
    await until(() => daemon.status().volumes[0]?.state === 'open', 'open');
    expect(c.keys).toEqual(['right']);
  });

  it('empty answers use up the tries: the volume gives up without cryptsetup ever running', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'right');
    const c = counting(h);
    const s = setup(config([volume('cr_a', { tries: 2 })], [], { bootWaitMs: 50 }), h, { extra: { cryptsetup: c.cryptsetup } });
    const { daemon, asker } = s;
    await bootThrough(s, 50);
    for (let i = 1; i <= 2; i++) {
      if (i > 1) await gather(s);
      await until(() => asker.asked.length === i && asker.open.length === 1, `prompt ${i}`);
      asker.open[0]?.answer('');
    }
    await until(() => daemon.status().volumes[0]?.state === 'locked' && asker.open.length === 0, 'gave up');
    expect(daemon.status().volumes[0]?.error).toMatch(/gave up after 2 wrong or empty passphrase/);
    expect(c.keys).toEqual([]);
    expect(asker.asked).toHaveLength(2);
  });

  it('allow_empty = true: an empty answer is tried as the passphrase', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', '');
    const c = counting(h);
    const s = setup(config([volume('cr_a', { allowEmpty: true })], [], { bootWaitMs: 50 }), h, { extra: { cryptsetup: c.cryptsetup } });
    const { daemon, asker } = s;
    const booted = daemon.boot();
    await gather(s);
    await until(() => asker.open.length === 1, 'prompt');
    asker.open[0]?.answer('');
    await booted;
    expect(daemon.status().volumes[0]?.state).toBe('open');
    expect(c.keys).toEqual(['']);
  });
});

describe('a broken guest XML', () => {
  it('one unreadable guest XML: every volume still opens, READY comes, the guest shows the error, the others start', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'cryptvm-xml-'));
    await writeFile(join(dir, 'bad.xml'), '\u0000\u0001garbage <<<');
    await writeFile(join(dir, 'good.xml'), "<domain type='kvm'><name>good</name><devices><disk type='block' device='disk'><source dev='/dev/mapper/cr_b'/><target dev='vda'/></disk></devices></domain>");
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').disk('/dev/vg/cr_b', 'k').domain('bad', ['/dev/mapper/cr_a']).domain('good', ['/dev/mapper/cr_b']);
    const keyOnly = () => [{ label: 'keyfile:/k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'keyfile:/k' }) }];
    const { daemon, notes, msgs } = setup(config([volume('cr_a'), volume('cr_b')], [guest('bad'), guest('good')], { bootWaitMs: 5_000 }), h, { sources: keyOnly, extra: { xmlDir: dir } });
    await daemon.boot();
    expect(notes.some((n) => n.READY === '1')).toBe(true);
    expect(daemon.status().volumes.map((v) => v.state)).toEqual(['open', 'open']);
    const bad = daemon.status().guests.find((g) => g.name === 'bad');
    expect(bad?.error).toMatch(new RegExp(`cannot read its libvirt XML ${dir}/bad.xml`));
    expect(msgs().some((m) => m.guest === 'bad' && m.level >= 50 && /bad\.xml/.test(m.msg))).toBe(true);
    await daemon.startGuests([]);
    await until(() => h.domains.get('good')?.state === 'running' && h.domains.get('bad')?.state === 'running', 'both guests started');
    expect(daemon.status().guests.find((g) => g.name === 'bad')?.error).toBeUndefined();
  });
});

/** The fake host's libvirt, unreachable while `down` is set (libvirtd and its sockets stopped). */
function flakyLibvirt(h: FakeHost) {
  const state = { down: true, lists: 0 };
  const refuse = () => {
    throw new Error('failed to connect to the hypervisor: Failed to connect socket to /var/run/libvirt/virtqemud-sock: Connection refused');
  };
  const virsh = {
    ...h.virsh,
    list: async () => (state.lists++, state.down ? refuse() : h.virsh.list()),
    events: async (o: Parameters<FakeHost['virsh']['events']>[0]) => (state.down ? refuse() : h.virsh.events(o)),
  };
  return { state, virsh };
}

describe('libvirt unreachable', () => {
  it('is retried with backoff; status says "waiting for libvirt"; guests start once it answers, with no admin action', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').domain('g', ['/dev/mapper/cr_a']);
    const lv = flakyLibvirt(h);
    const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];
    const { daemon, notes, clock } = setup(config([volume('cr_a')], [guest('g')], { bootWaitMs: 5_000 }), h, { sources: keyOnly, guestsUnitActive: true, extra: { virsh: lv.virsh } });
    await daemon.boot();
    expect(notes.some((n) => n.READY === '1')).toBe(true);
    await daemon.startGuests([]);
    expect(daemon.status().status).toMatch(/waiting for libvirt$/);
    expect(daemon.status().guests[0]?.error).toMatch(/^waiting for libvirt: failed to connect to the hypervisor/);
    await clock.advance(1_000); // first retry after 1 s, refused again
    const refused = lv.state.lists;
    expect(refused).toBeGreaterThanOrEqual(2);
    lv.state.down = false;
    await clock.advance(1_999); // the next retry is 2 s after that one
    expect(lv.state.lists).toBe(refused);
    expect(h.domains.get('g')?.state).toBe('shut-off');
    await clock.advance(1);
    await until(() => h.domains.get('g')?.state === 'running', 'the guest started once libvirt answered');
    expect(daemon.status().status).not.toMatch(/waiting for libvirt/);
    expect(daemon.status().guests[0]?.error).toBeUndefined();
    await daemon.stop();
  });
});

describe('no stuck phases: one queue per volume', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];

  it('a lock while cryptsetup runs: the open is killed, the lock closes what it made, the phase is locked (not unlocking)', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k');
    let release: () => void = () => {};
    const cryptsetup = {
      ...h.cryptsetup,
      open: async (d: string, n: string, k: Buffer, o: { signal?: AbortSignal } = {}) => {
        await h.cryptsetup.open(d, n, k); // the mapping is made, then the kill arrives
        await new Promise<void>((r) => (release = r));
        if (o.signal?.aborted) throw new Error(`cryptsetup open ${d} as ${n} was killed (SIGTERM)`);
        return 'opened' as const;
      },
    };
    const { daemon, volumes, clock } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { cryptsetup } });
    await bootThrough({ daemon, clock }, 20);
    await until(() => h.mappings.has('cr_a'), 'cryptsetup running');
    const locked = daemon.lock('cr_a', false);
    await clock.advance(0); // the lock is queued behind the open
    release();
    await locked;
    expect(daemon.status().volumes[0]?.state).toBe('locked');
    expect(h.mappings.has('cr_a')).toBe(false);
    expect(volumes.mustGet('cr_a').pending).toBe(0);
  });

  it('an unmount that fails leaves the volume open with the error (not closing), and the next lock really tries again', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k');
    let broken = true;
    const realUnmount = h.mountsAdapter.unmount;
    // The fake daemon uses the host's mount adapter: break its unmount in place.
    h.mountsAdapter.unmount = async (w: string) => (broken ? Promise.reject(new Error(`umount ${w} failed: exit code 32`)) : realUnmount(w));
    const cfg = config([volume('cr_a', { mount: { where: '/srv/a', options: '', type: undefined } })], [], { bootWaitMs: 20 });
    const { daemon } = setup(cfg, h, { sources: keyOnly, extra: {} });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.state).toBe('open');
    await expect(daemon.lock('cr_a', false)).rejects.toThrow(/umount \/srv\/a failed/);
    expect(daemon.status().volumes[0]?.state).toBe('open');
    expect(daemon.status().volumes[0]?.error).toMatch(/umount \/srv\/a failed/);
    broken = false;
    await daemon.lock('cr_a', false);
    expect(daemon.status().volumes[0]?.state).toBe('locked');
    expect(h.mappings.has('cr_a')).toBe(false);
  });

  it('a second concurrent lock returns when the volume is really closed, not early', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k');
    // cryptsetup close takes 30 ms (on the test's clock).
    const clock = new FakeClock();
    const cryptsetup = { ...h.cryptsetup, close: async (n: string) => (await clock.sleep(30), h.cryptsetup.close(n)) };
    const { daemon } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { cryptsetup, clock } });
    await daemon.boot();
    const first = daemon.lock('cr_a', false);
    await clock.advance(0); // the first lock is in its close
    let returned = false;
    const second = daemon.lock('cr_a', false).then(() => void (returned = true));
    await clock.advance(29);
    expect(returned).toBe(false);
    expect(h.mappings.has('cr_a')).toBe(true);
    await clock.advance(1);
    await second;
    expect(h.mappings.has('cr_a')).toBe(false);
    await first;
  });
});

describe('deadlines on the monotonic clock', () => {
  for (const jump of [+1, -1]) {
    it(`boot_wait holds when the wall clock jumps ${jump > 0 ? 'forward' : 'back'} a day mid-boot: READY at boot_wait, not before or never`, async () => {
      const { vi } = await import('vitest');
      const clock = new FakeClock();
      const h = new FakeHost().disk('/dev/vg/cr_a', 'right');
      const { daemon, notes, asker } = setup(config([volume('cr_a')], [], { bootWaitMs: 45_000 }), h, { extra: { clock } });
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const booted = daemon.boot();
        await gather({ clock, asker });
        await until(() => asker.open.length === 1, 'the prompt');
        await clock.advance(9_999);
        vi.setSystemTime(Date.now() + jump * 86_400_000);
        await clock.advance(34_000);
        expect(notes.some((n) => n.READY === '1'), 'READY before boot_wait').toBe(false);
        await clock.advance(1_000);
        expect(notes.some((n) => n.READY === '1'), 'READY at boot_wait').toBe(true);
        await booted;
        expect(daemon.status().volumes[0]?.state).toBe('waiting-passphrase');
      } finally {
        vi.useRealTimers();
      }
    });
  }
});

describe('stop or restart when systemd cannot be asked', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];
  const scenario = async (systemState: () => Promise<string>) => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').domain('g', ['/dev/mapper/cr_a']);
    const s = setup(config([volume('cr_a')], [guest('g', { shutdownTimeoutMs: 100 })], { bootWaitMs: 20 }), h, {
      sources: keyOnly,
      intent: new Error('org.freedesktop.DBus.Error.NoReply: Did not receive a reply'),
      extra: { systemState },
    });
    await s.daemon.boot();
    await s.daemon.startGuests([]);
    await until(() => h.domains.get('g')?.state === 'running', 'guest running');
    await s.daemon.stop();
    return { h, ...s };
  };

  it('the job cannot be asked but the system is shutting down: a stop (guests, then close), and the cause is logged', async () => {
    const { h, msgs } = await scenario(async () => 'stopping');
    expect(h.domains.get('g')?.state).toBe('shut-off');
    expect(h.mappings.has('cr_a')).toBe(false);
    expect(msgs().some((m) => m.level === 40 && /cannot ask systemd for the unit's job: org\.freedesktop\.DBus\.Error\.NoReply/.test(m.msg))).toBe(true);
    expect(msgs().some((m) => m.event === 'stop-decided' && m.intent === 'stop' && /the system is shutting down$/.test(m.why ?? ''))).toBe(true);
  });

  it('the job cannot be asked and the system runs: everything is kept, and the log says why', async () => {
    const { h, msgs } = await scenario(async () => 'running');
    expect(h.domains.get('g')?.state).toBe('running');
    expect(h.mappings.has('cr_a')).toBe(true);
    expect(msgs().some((m) => m.event === 'stop-decided' && m.intent === 'keep' && /^cannot ask systemd for the unit's job: .*NoReply.*the system is running: treated as a restart$/.test(m.why ?? ''))).toBe(true);
  });

  it('neither can be asked: everything is kept (a restart-safe default), both causes logged', async () => {
    const { h, msgs } = await scenario(async () => {
      throw new Error('Failed to connect to bus: No such file or directory');
    });
    expect(h.mappings.has('cr_a')).toBe(true);
    expect(msgs().filter((m) => m.level === 40 && /cannot ask systemd/.test(m.msg))).toHaveLength(2);
  });
});

describe('a long stop', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];

  it('sends EXTEND_TIMEOUT_USEC= while stopping, so TimeoutStopSec does not kill the daemon between guests and closes', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').domain('g', ['/dev/mapper/cr_a'], { acpi: false });
    const { daemon, notes, clock } = setup(config([volume('cr_a')], [guest('g', { shutdownTimeoutMs: 100 })], { bootWaitMs: 20 }), h, { sources: keyOnly });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('g')?.state === 'running', 'guest running');
    const stopped = daemon.stop();
    await clock.advance(100);
    await stopped;
    const stopping = notes.findIndex((n) => n.STOPPING === '1');
    expect(stopping).toBeGreaterThanOrEqual(0);
    expect(notes.slice(stopping).some((n) => Number(n.EXTEND_TIMEOUT_USEC) >= 60_000_000)).toBe(true);
    expect(h.mappings.has('cr_a')).toBe(false);
  });

  it('sends the ACPI request again during the timeout: a guest that missed the first one (still booting) shuts down cleanly', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').domain('g', ['/dev/mapper/cr_a'], { acpi: false });
    let requests = 0;
    const virsh = {
      ...h.virsh,
      shutdown: async (name: string) => {
        requests++;
        if (requests === 2) h.domains.get(name)!.acpi = true; // booted by now: this one is heard
        return h.virsh.shutdown(name);
      },
    };
    const { daemon, clock } = setup(config([volume('cr_a')], [guest('g', { shutdownTimeoutMs: 8_000 })], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { virsh } });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('g')?.state === 'running', 'guest running');
    const stopped = daemon.stop();
    await until(() => requests === 1, 'the first ACPI request');
    await clock.advance(4_999);
    expect(requests).toBe(1);
    await clock.advance(1); // resent every 5 s
    expect(requests).toBe(2);
    await stopped;
    expect(requests).toBe(2);
    expect(h.calls.filter((c) => c.startsWith('destroy'))).toEqual([]);
    expect(h.domains.get('g')?.state).toBe('shut-off');
  });
});

describe('guests that fail', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];

  it('a managedsave that fails falls back to destroy, says so, and the volume still closes', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').domain('g', ['/dev/mapper/cr_a'], { acpi: false });
    const virsh = {
      ...h.virsh,
      managedSave: async (name: string): Promise<'saved'> => {
        throw new Error(`virsh managedsave ${name} failed: operation failed: domain save job: unexpectedly failed (exit code 1)`);
      },
    };
    const { daemon, msgs, clock } = setup(config([volume('cr_a')], [guest('g', { shutdownTimeoutMs: 50, onTimeout: 'managedsave' })], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { virsh, saveEncrypted: true } });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('g')?.state === 'running', 'guest running');
    const stopped = daemon.stop();
    await clock.advance(50);
    await stopped;
    expect(h.domains.get('g')?.state).toBe('shut-off');
    expect(h.calls).toContain('destroy g');
    expect(h.mappings.has('cr_a')).toBe(false);
    expect(msgs().some((m) => m.guest === 'g' && m.level === 50 && m.event === 'guest-save-failed' && /^managedsave failed \(virsh managedsave g failed.*\); destroying the guest instead$/.test(m.msg))).toBe(true);
  });
});

describe('a guest that fails to start', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];

  it("shows libvirt's error in status and the journal; the others start, its volumes stay open, and `guests start NAME` retries", async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').disk('/dev/vg/cr_b', 'k').domain('bad', ['/dev/mapper/cr_a']).domain('good', ['/dev/mapper/cr_b']);
    let broken = true;
    const virsh = {
      ...h.virsh,
      start: async (name: string) => {
        if (name === 'bad' && broken) throw new Error("virsh start bad failed: error: Cannot access storage file '/var/lib/libvirt/images/bad.qcow2': No such file or directory (exit code 1)");
        return h.virsh.start(name);
      },
    };
    const { daemon, msgs } = setup(config([volume('cr_a'), volume('cr_b')], [guest('bad'), guest('good')], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { virsh } });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('good')?.state === 'running' && daemon.status().guests.find((g) => g.name === 'bad')?.error !== undefined, 'good started, bad failed');
    const bad = daemon.status().guests.find((g) => g.name === 'bad');
    expect(bad?.error).toMatch(/Cannot access storage file/);
    expect(bad?.state).not.toBe('running');
    expect(msgs().some((m) => m.guest === 'bad' && m.level === 50 && m.event === 'guest-start-failed' && /Cannot access storage file/.test(m.msg))).toBe(true);
    expect(daemon.status().volumes.map((v) => v.state)).toEqual(['open', 'open']);
    broken = false;
    await daemon.startGuests(['bad']);
    await until(() => daemon.status().guests.find((g) => g.name === 'bad')?.state === 'running', 'bad started on retry');
    expect(h.domains.get('bad')?.state).toBe('running');
    expect(daemon.status().guests.find((g) => g.name === 'bad')?.error).toBeUndefined();
  });
});

describe('a stop while a passphrase is pending', () => {
  it('withdraws the question at once (before systemd is even asked why) and answers a waiting unlock with an error', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'right').disk('/dev/vg/cr_b', 'right');
    let releaseIntent: () => void = () => {};
    const asker = new FakeAsker();
    const clock = new FakeClock();
    // systemd slow to say whether this is a restart (a busy bus at package upgrade time).
    const units = { activeState: async () => 'inactive', stopIntent: () => new Promise<'restart'>((r) => (releaseIntent = () => r('restart'))), jobType: async () => undefined };
    const made = daemonOnFakeHost(config([volume('cr_a'), volume('cr_b')], [], { bootWaitMs: 20 }), h, {
      log: createLogger({ level: 'silent' }),
      sources: (v, broker) => [new PromptSource(v.name === 'cr_a' ? broker : new PromptBroker(asker, { gatherMs: 60_000 }))],
      units,
      asker,
      clock,
    });
    const s = { asker };
    asker.onChange = () => made.daemon.promptsChanged(); // the second broker's question bypasses the wiring
    await bootThrough({ daemon: made.daemon, clock }, 20);
    await until(() => s.asker.open.length === 1, 'cr_a asked');
    // cr_b's question is not up yet (its broker gathers for a minute): `cryptvm unlock cr_b` waits for it.
    const waiting = made.daemon.unlock(['cr_b']).then(
      () => 'returned',
      (e: Error) => e.message,
    );
    await clock.advance(20); // unlock waits up to 10 s for cr_b's question
    const stopped = made.daemon.stop();
    await until(() => s.asker.open.length === 0, 'the question withdrawn while systemd has not answered yet');
    expect(await waiting).toMatch(/^cryptvmd is stopping: the passphrase request for cr_b was withdrawn; run cryptvm unlock cr_b again/);
    await expect(made.daemon.unlock(['cr_a'])).rejects.toThrow(/cryptvmd is stopping/);
    releaseIntent();
    await stopped;
  });
});

describe('errors that name the right thing', () => {
  it('a device already mapped under another name: the error names the configured device and the mapping holding it', async () => {
    const h = new FakeHost().disk('/dev/vg/tang', 'k');
    h.mappings.set('cr_old', { device: '/dev/vg/tang', uuid: 'CRYPT-LUKS2-x-cr_old' });
    const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];
    const { daemon } = setup(config([volume('cr_tang', { device: '/dev/vg/tang' })], [], { bootWaitMs: 20 }), h, { sources: keyOnly });
    await daemon.boot();
    const v = daemon.status().volumes[0];
    expect(v?.state).toBe('failed');
    expect(v?.error).toBe('volume cr_tang: cannot open /dev/vg/tang: it is in use by mapping cr_old (dm-5) — it is open under another name: close that mapping (cryptsetup close cr_old) when nothing uses it, or rename this volume to cr_old in the config');
  });
});

describe('half-made or foreign state at adoption', () => {
  const keyOnly = () => [{ label: 'k', get: async () => ({ kind: 'key' as const, key: Buffer.from('k'), source: 'k' }) }];
  const luks = '0000aaaa-0000-4000-8000-000000000000';

  it('a half-made mapping (no table: cryptsetup killed mid-open) is removed and the volume opened again, not adopted', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k', luks);
    h.mappings.set('cr_a', { device: '/dev/vg/cr_a', uuid: expectedDmUuid(luks, 'cr_a'), noTable: true });
    const { daemon, msgs } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly });
    await daemon.boot();
    expect(daemon.status().volumes[0]).toMatchObject({ state: 'open', keySource: 'k' });
    expect(h.calls).toEqual(['dmsetup remove cr_a', 'open cr_a']);
    expect(h.mappings.get('cr_a')?.noTable).toBeUndefined();
    expect(msgs().some((m) => m.event === 'volume-half-made' && m.volume === 'cr_a' && m.level === 40)).toBe(true);
  });

  it('a suspended mapping is not adopted: the volume fails with what to do', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k', luks);
    h.mappings.set('cr_a', { device: '/dev/vg/cr_a', uuid: expectedDmUuid(luks, 'cr_a'), suspended: true });
    const { daemon } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.state).toBe('failed');
    expect(daemon.status().volumes[0]?.error).toMatch(/^volume cr_a: \/dev\/mapper\/cr_a is suspended .*resume it \(dmsetup resume cr_a\) or close it/);
    expect(h.calls).toEqual([]);
  });

  it('a mapping with the right LUKS UUID on another block device (a cloned disk) is not adopted', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k', luks).disk('/dev/vg/clone', 'k', luks);
    h.mappings.set('cr_a', { device: '/dev/vg/clone', uuid: expectedDmUuid(luks, 'cr_a') });
    const { daemon } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.state).toBe('failed');
    expect(daemon.status().volumes[0]?.error).toMatch(/^volume cr_a: \/dev\/mapper\/cr_a has this volume's LUKS UUID but sits on \/dev\/clone, not on \/dev\/vg\/cr_a/);
  });

  it('a header that cannot be read (EIO) is reported as an I/O error, not as "not LUKS"', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k');
    Object.assign(h.devices, { readError: async () => 'EIO' });
    const cryptsetup = { ...h.cryptsetup, isLuks: async () => false };
    const { daemon } = setup(config([volume('cr_a')], [], { bootWaitMs: 20 }), h, { sources: keyOnly, extra: { cryptsetup } });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.error).toMatch(/^volume cr_a: cannot read the LUKS header on \/dev\/vg\/cr_a .*I\/O error \(EIO\)/);
    expect(daemon.status().volumes[0]?.error).not.toMatch(/not a LUKS device/);
  });

  it('a cryptsetup killed by SIGKILL (the OOM killer) is reported as such and retried once, alone', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'k').disk('/dev/vg/cr_b', 'k');
    let firstOfA = true; // cr_a is killed once, cr_b every time
    const cryptsetup = {
      ...h.cryptsetup,
      open: async (d: string, n: string, k: Buffer) => {
        if (n === 'cr_a' && firstOfA && !(firstOfA = false)) throw new Error(`volume ${n}: cryptsetup open ${d} as ${n}: cryptsetup open was killed by SIGKILL`);
        if (n === 'cr_b') throw new Error(`volume ${n}: cryptsetup open ${d} as ${n}: cryptsetup open was killed by SIGKILL`);
        return h.cryptsetup.open(d, n, k);
      },
    };
    const { daemon, msgs } = setup(config([volume('cr_a'), volume('cr_b')], [], { bootWaitMs: 2_000 }), h, { sources: keyOnly, extra: { cryptsetup } });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.state).toBe('open');
    // Killed again on its retry: it fails, once, with the kill in its error.
    expect(daemon.status().volumes[1]?.state).toBe('failed');
    expect(daemon.status().volumes[1]?.error).toMatch(/killed by SIGKILL/);
    expect(msgs().filter((m) => m.event === 'volume-open-killed').map((m) => m.volume)).toEqual(['cr_a', 'cr_b']);
  });
});
