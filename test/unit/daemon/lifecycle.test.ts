// The daemon's lifecycle against a stateful fake host: boot order, READY, guest gating, late unlock, stop
// order, restart, adoption, lock. Real planner, real managers; only the outside programs are simulated. The
// daemon runs on a FakeClock: boot_wait and shutdown timeouts pass when the test moves the clock, and what must
// not have happened is checked at a given clock reading.
import { describe, expect, it } from 'vitest';
import type { KeySource } from '../../../src/keys/types.js';
import type { StopIntent } from '../../../src/adapters/systemd.js';
import { createLogger } from '../../../src/log/logger.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { labHost } from '../../helpers/lab-host.js';
import { TestSource, until } from '../../helpers/test-source.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { KeyslotHints } from '../../../src/keys/hints.js';
import { RuntimeWantedStore } from '../../../src/daemon/wanted-store.js';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config, guest, volume } from '../../helpers/config.js';
import type { Config } from '../../../src/config/types.js';
import type { StepRef } from '../../../src/daemon/steps.js';
import type { LogEvent } from '../../../src/log/events.js';


function setup(cfg: Config, host: FakeHost, sources: Record<string, KeySource[]>, opts: { guestsUnitActive?: boolean; intent?: StopIntent; libvirtActive?: boolean; hints?: KeyslotHints; saveEncrypted?: boolean; wanted?: RuntimeWantedStore; loadConfig?: () => Config } = {}) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
  const notes: Record<string, string>[] = [];
  const clock = new FakeClock();
  const units = {
    activeState: async (u: string) => (u === 'cryptvm-guests.service' ? (opts.guestsUnitActive ? 'active' : 'inactive') : opts.libvirtActive === false ? 'inactive' : 'active'),
    stopIntent: async () => opts.intent ?? 'stop',
    jobType: async () => undefined,
  };
  const { daemon } = daemonOnFakeHost(cfg, host, {
    log,
    sources: (v) => sources[v.name] ?? [],
    units,
    onNotify: (f) => void notes.push(f),
    loadConfig: opts.loadConfig,
    hints: opts.hints,
    saveEncrypted: opts.saveEncrypted,
    wanted: opts.wanted,
    clock,
  });
  const msgs = () => lines.map((l) => JSON.parse(l) as { msg: string; volume?: string; guest?: string; level: number; event?: LogEvent; step?: StepRef });
  /** The steps the daemon ran, from its typed step events: "layer kind target". */
  const ran = () => msgs().flatMap((m) => (m.event === 'step-started' && m.step ? [`${m.step.layer} ${m.step.kind} ${m.step.target}`] : []));
  return { daemon, notes, lines, msgs, ran, clock };
}


const KEYFILE = [{ kind: 'keyfile' as const, path: '/k' }];
const lab = () =>
  config(
    [volume('cr_imap', { device: '/dev/vg/imap' }), volume('cr_data', { device: '/dev/vg/data', keys: KEYFILE }), volume('cr_img', { device: '/dev/vg/img', keys: KEYFILE, mount: { where: '/srv/img', options: '', type: undefined } })],
    [guest('imap', { shutdownTimeoutMs: 2_000 }), guest('web', { after: ['imap'], shutdownTimeoutMs: 150 }), guest('office', { shutdownTimeoutMs: 2_000 })],
    { bootWaitMs: 200 },
  );
const host = () => labHost();

describe('daemon lifecycle', () => {
  it('boot with ready = "all": opens every volume, mounts, READY=1 only after, and never touches libvirt before READY', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    const { daemon, notes } = setup({ ...lab(), daemon: { ...lab().daemon, ready: 'all' } }, h, { cr_imap: [prompt], cr_data: [new TestSource('keyfile:/k', 'file-key')], cr_img: [new TestSource('keyfile:/k', 'file-key')] });
    const booted = daemon.boot();
    await until(() => prompt.isWaiting, 'the prompt');
    expect(notes.some((n) => n.READY)).toBe(false);
    prompt.answer('typed');
    await booted;
    expect(h.calls).toEqual(expect.arrayContaining(['open cr_imap', 'open cr_data', 'open cr_img', 'mount cr_img']));
    expect(h.calls.indexOf('mount cr_img')).toBeGreaterThan(h.calls.indexOf('open cr_img'));
    expect(notes.find((n) => n.READY)?.STATUS).toBe('ready: 3/3 volumes open, 0/3 guests running');
    expect(h.calls.some((c) => c.startsWith('list') || c.startsWith('start'))).toBe(false);
  });

  it('boot with ready = "unattended" (default): READY=1 once the key-file volumes open while the passphrase is pending; web starts, imap waits; the console waits until it is answered', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    const cfg = lab();
    cfg.daemon.bootWaitMs = 60_000;
    const { daemon, notes } = setup(cfg, h, { cr_imap: [prompt], cr_data: [new TestSource('keyfile:/k', 'file-key')], cr_img: [new TestSource('keyfile:/k', 'file-key')] });
    const booted = daemon.boot();
    await booted;
    expect(prompt.isWaiting).toBe(true);
    expect(notes.find((n) => n.READY)?.STATUS).toBe('ready: 2/3 volumes open, 0/3 guests running');
    expect(daemon.status().consoleWait).toEqual(['cr_imap']);
    await daemon.startGuests([]);
    await until(() => h.domains.get('web')?.state === 'running' && h.domains.get('office')?.state === 'running', 'web and office before the passphrase');
    expect(h.domains.get('imap')?.state).toBe('shut-off');
    prompt.answer('typed');
    await until(() => h.domains.get('imap')?.state === 'running', 'imap once its passphrase came');
    expect(daemon.status().consoleWait).toEqual([]);
    expect(daemon.status().status).toBe('ready: 3/3 volumes open, 3/3 guests running');
  });

  it('ready = "unattended" still waits for a key-file volume that is slow, and boot_wait bounds it', async () => {
    const h = host();
    const slow = new TestSource('keyfile:/k'); // never answers: a device or key server that does not come
    const cfg = lab();
    const { daemon, notes, msgs, clock } = setup(cfg, h, { cr_imap: [new TestSource('prompt')], cr_data: [slow], cr_img: [new TestSource('keyfile:/k', 'file-key')] });
    const booted = daemon.boot();
    await until(() => slow.isWaiting, 'the slow key file');
    await clock.advance(199); // boot_wait is 200 ms
    expect(notes.some((n) => n.READY)).toBe(false);
    expect(daemon.status().status).toMatch(/READY waits for: cr_data$/);
    await clock.advance(1);
    expect(notes.find((n) => n.READY)).toBeDefined();
    await booted;
    expect(msgs().filter((m) => m.event === 'boot-wait-passed')).toHaveLength(1);
    expect(daemon.status().consoleWait).toEqual([]);
  });

  it('a guest with delay = 30 s starts 30 s after the guest it is after, on the daemon clock', async () => {
    const h = host();
    const cfg = lab();
    cfg.guests = cfg.guests.map((g) => (g.name === 'web' ? { ...g, delayMs: 30_000 } : g));
    const { daemon, clock } = setup(cfg, h, { cr_imap: [new TestSource('k', 'typed')], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('imap')?.state === 'running', 'imap');
    await clock.advance(29_999);
    expect(h.domains.get('web')?.state).toBe('shut-off');
    await clock.advance(1);
    expect(h.domains.get('web')?.state).toBe('running');
  });

  it('`guests start` before READY waits for READY instead of waking libvirtd (which would deadlock)', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    // ready = "all": READY waits for the prompt, so the request below comes before READY for certain.
    const cfg = lab();
    cfg.daemon.ready = 'all';
    const { daemon } = setup(cfg, h, { cr_imap: [prompt], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] });
    const booted = daemon.boot();
    await until(() => prompt.isWaiting, 'the prompt');
    await daemon.startGuests(['web']); // the fake host throws on any libvirt call before READY
    expect(h.calls.some((c) => c.startsWith('start'))).toBe(false);
    prompt.answer('typed');
    await booted;
    await until(() => h.domains.get('web')?.state === 'running', 'web after READY');
    expect(h.domains.get('imap')?.state).toBe('shut-off');
  });

  it('remembers the keyslot per volume and source, and tries it first next boot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cryptvm-hints-'));
    const cfg = lab();
    cfg.volumes = [cfg.volumes[1]!];
    const first = new FakeHost().disk('/dev/vg/data', 'file-key');
    const hints = new KeyslotHints(join(dir, 'state'));
    await setup(cfg, first, { cr_data: [new TestSource('keyfile:/k', 'file-key')] }, { hints }).daemon.boot();
    expect(first.calls).toEqual(['open-detailed cr_data slot=any', 'open cr_data']);
    expect(JSON.parse(await readFile(hints.path, 'utf8')).hints).toEqual({ cr_data: { 'keyfile:/k': 0 } });
    const second = new FakeHost().disk('/dev/vg/data', 'file-key');
    const again = new KeyslotHints(join(dir, 'state'));
    await again.load();
    await setup(cfg, second, { cr_data: [new TestSource('keyfile:/k', 'file-key')] }, { hints: again }).daemon.boot();
    expect(second.calls).toEqual(['open-detailed cr_data slot=0', 'open cr_data']);
  });

  it('a wrong passphrase is asked again; tries are bounded', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    const cfg = lab();
    cfg.volumes = [cfg.volumes[0]!];
    const { daemon } = setup(cfg, h, { cr_imap: [prompt] });
    const booted = daemon.boot();
    await until(() => prompt.asked === 1 && prompt.isWaiting, 'first prompt');
    prompt.answer('nope');
    await until(() => prompt.asked === 2, 'second prompt');
    prompt.answer('typed');
    await booted;
    await until(() => daemon.status().volumes[0]?.state === 'open', 'the volume to open');
  });

  it('headless with ready = "all": READY after boot_wait, guests on open volumes start, the others start after a late unlock', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    const { daemon, notes, msgs, clock } = setup({ ...lab(), daemon: { ...lab().daemon, ready: 'all' } }, h, { cr_imap: [prompt], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] });
    const booted = daemon.boot();
    await until(() => prompt.isWaiting, 'the prompt');
    await clock.advance(199);
    expect(notes.some((n) => n.READY)).toBe(false);
    await clock.advance(1); // boot_wait: 200 ms
    expect(notes.some((n) => n.READY)).toBe(true);
    await booted;
    expect(notes.find((n) => n.READY)?.STATUS).toBe('ready: 2/3 volumes open, 0/3 guests running');
    expect(msgs().some((m) => m.event === 'boot-wait-passed' && m.level === 40)).toBe(true);
    await daemon.startGuests([]);
    await until(() => h.domains.get('office')?.state === 'running' && h.domains.get('web')?.state === 'running', 'web and office');
    expect(h.domains.get('imap')?.state).toBe('shut-off');
    expect(daemon.status().guests.find((g) => g.name === 'imap')).toMatchObject({ state: 'waiting', waitingFor: ['cr_imap'] });
    prompt.answer('typed');
    await until(() => h.domains.get('imap')?.state === 'running', 'imap after the late unlock');
    expect(daemon.status().status).toBe('ready: 3/3 volumes open, 3/3 guests running');
  });

  it('explicit stop: guests first (ACPI, then destroy after timeout), then unmount and close; never busy', async () => {
    const h = host();
    const { daemon, msgs, ran, clock } = setup(lab(), h, { cr_imap: [new TestSource('k', 'typed')], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => [...h.domains.values()].every((d) => d.state === 'running'), 'all guests');
    h.calls.length = 0;
    const booted = ran().length;
    const stopped = daemon.stop();
    await until(() => h.calls.includes('shutdown web') && h.domains.get('office')?.state === 'shut-off', 'web asked, office off');
    await clock.advance(149); // web ignores ACPI; its shutdown timeout is 150 ms
    expect(h.calls).not.toContain('destroy web');
    expect(h.calls).not.toContain('shutdown imap');
    await clock.advance(1);
    expect(h.calls).toContain('destroy web'); // at 150 ms on the daemon's clock, however long that took
    await stopped;
    // web ignores ACPI: its destroy step runs in its layer, before imap's layer begins.
    expect(ran().slice(booted)).toEqual([
      '1 shutdown web', '1 shutdown office', '1 destroy web', '2 shutdown imap', '3 close cr_imap', '3 close cr_data', '3 unmount cr_img', '3 close cr_img',
    ]);
    const order = h.calls.filter((c) => !c.startsWith('list') && c !== 'events');
    // web is after imap: it stops first; office is independent and stops with web.
    expect(order.slice(0, 2).sort()).toEqual(['shutdown office', 'shutdown web']);
    expect(order.indexOf('destroy web')).toBeGreaterThan(order.indexOf('shutdown web'));
    expect(order.indexOf('shutdown imap')).toBeGreaterThan(order.indexOf('destroy web'));
    for (const v of ['cr_imap', 'cr_data', 'cr_img']) expect(order.indexOf(`close ${v}`)).toBeGreaterThan(order.indexOf('shutdown imap'));
    expect(order.indexOf('unmount cr_img')).toBeLessThan(order.indexOf('close cr_img'));
    expect(h.mappings.size).toBe(0);
    expect(h.busyCloses).toBe(0);
    expect(msgs().find((m) => m.guest === 'web' && m.event === 'guest-shutdown-timeout')).toBeDefined();
  });

  it('on_timeout managedsave: saves when the save dir is encrypted, destroys (and says why) when not', async () => {
    for (const saveEncrypted of [true, false]) {
      const h = new FakeHost().disk('/dev/vg/data', 'file-key').domain('web', ['/dev/mapper/cr_data'], { acpi: false });
      const cfg = config([volume('cr_data', { device: '/dev/vg/data' })], [guest('web', { shutdownTimeoutMs: 100, onTimeout: 'managedsave' })], { bootWaitMs: 200 });
      const { daemon, msgs, ran, clock } = setup(cfg, h, { cr_data: [new TestSource('k', 'file-key')] }, { saveEncrypted });
      await daemon.boot();
      await daemon.startGuests([]);
      await until(() => h.domains.get('web')?.state === 'running', 'web');
      const booted = ran().length;
      const stopped = daemon.stopGuests([], true);
      await clock.advance(99); // shutdown timeout: 100 ms
      expect(h.calls.filter((c) => /^(managedsave|destroy) /.test(c))).toEqual([]);
      await clock.advance(1);
      expect(h.calls.filter((c) => /^(managedsave|destroy) /.test(c))).toEqual([saveEncrypted ? 'managedsave web' : 'destroy web']);
      await stopped;
      // The fallbacks the plan names, run through their own executors: save, and destroy when the save is refused.
      expect(ran().slice(booted)).toEqual(['1 shutdown web', '1 save web', ...(saveEncrypted ? [] : ['1 destroy web'])]);
      expect(h.calls.includes('managedsave web')).toBe(saveEncrypted);
      expect(h.calls.includes('destroy web')).toBe(!saveEncrypted);
      expect(msgs().some((m) => m.level === 50 && m.guest === 'web' && m.event === 'guest-save-refused')).toBe(!saveEncrypted);
    }
  });

  it('restart: leaves guests and volumes alone, and the next daemon adopts them without opening anything', async () => {
    const h = host();
    const cfg = lab();
    const keys = { cr_imap: [new TestSource('k', 'typed')], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] };
    const first = setup(cfg, h, keys, { intent: 'restart' });
    await first.daemon.boot();
    await first.daemon.startGuests([]);
    await until(() => [...h.domains.values()].every((d) => d.state === 'running'), 'all guests');
    const ids = [...h.domains.values()].map((d) => d.id);
    h.calls.length = 0;
    await first.daemon.stop();
    expect(h.calls).toEqual([]);
    h.libvirtAllowed = false;
    const second = setup(cfg, h, keys, { guestsUnitActive: true });
    await second.daemon.boot();
    await second.clock.advance(60_000); // anything the new daemon would do on its own has been done by now
    expect(h.calls.filter((c) => /^(open|close|start|shutdown|destroy|mount|unmount) /.test(c))).toEqual([]);
    expect([...h.domains.values()].map((d) => d.id)).toEqual(ids);
    expect(second.msgs().filter((m) => m.event === 'volume-adopted').map((m) => m.volume)).toEqual(['cr_imap', 'cr_data', 'cr_img']);
    expect(second.daemon.status().status).toBe('ready: 3/3 volumes open, 3/3 guests running');
  });

  it('a restart while a guest waits for a late unlock: the new daemon still starts it when the volume opens', async () => {
    const h = host();
    const cfg = lab();
    const store = () => new RuntimeWantedStore(join(tmpdir(), `cryptvm-run-${process.pid}`));
    const first = setup(cfg, h, { cr_imap: [new TestSource('prompt')], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] }, { intent: 'restart', wanted: store() });
    await first.daemon.boot();
    await first.daemon.startGuests([]);
    await until(() => h.domains.get('web')?.state === 'running' && h.domains.get('office')?.state === 'running', 'web and office');
    await first.daemon.stop();
    h.libvirtAllowed = false;
    const prompt = new TestSource('prompt');
    const second = setup(cfg, h, { cr_imap: [prompt], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] }, { guestsUnitActive: true, wanted: store() });
    const booted = second.daemon.boot();
    await until(() => prompt.isWaiting, 'the new prompt');
    prompt.answer('typed');
    await booted;
    await until(() => h.domains.get('imap')?.state === 'running', 'imap after the restart and the late unlock');
  });

  it('refuses to adopt a mapping of the same name that belongs to another device', async () => {
    const h = host();
    h.mappings.set('cr_data', { device: '/dev/sdz', uuid: 'CRYPT-LUKS2-deadbeef-cr_data' });
    const cfg = lab();
    cfg.volumes = [cfg.volumes[1]!];
    const { daemon, msgs } = setup(cfg, h, { cr_data: [new TestSource('k', 'file-key')] });
    await daemon.boot();
    const v = daemon.status().volumes[0]!;
    expect(v.state).toBe('failed');
    expect(v.error).toMatch(/\/dev\/mapper\/cr_data already exists but is not \/dev\/vg\/data/);
    expect(msgs().some((m) => m.level === 50 && m.volume === 'cr_data')).toBe(true);
    expect(h.calls).toEqual([]);
  });

  it('lock refuses while a guest runs on the volume, unless asked to stop it', async () => {
    const h = host();
    const { daemon, ran } = setup(lab(), h, { cr_imap: [new TestSource('k', 'typed')], cr_data: [new TestSource('k', 'file-key')], cr_img: [new TestSource('k', 'file-key')] });
    await daemon.boot();
    await daemon.startGuests(['office']);
    await until(() => h.domains.get('office')?.state === 'running', 'office');
    await expect(daemon.lock('cr_img', false)).rejects.toThrow(/used by running guest\(s\) office; stop them first or pass --stop-guests/);
    expect(h.mappings.has('cr_img')).toBe(true);
    const before = ran().length;
    await daemon.lock('cr_img', true);
    expect(ran().slice(before)).toEqual(['1 shutdown office', '2 unmount cr_img', '2 close cr_img']);
    expect(h.domains.get('office')?.state).toBe('shut-off');
    expect(h.mappings.has('cr_img')).toBe(false);
    expect(h.calls.slice(-2)).toEqual(['unmount cr_img', 'close cr_img']);
    // …and unlocking it again brings the guest back.
    expect(daemon.status().guests.find((g) => g.name === 'office')).toMatchObject({ state: 'waiting', waitingFor: ['cr_img'] });
    await daemon.unlock(['cr_img']);
    await until(() => h.domains.get('office')?.state === 'running', 'office after unlock');
  });

  it('reload: a removed volume at its prompt is forgotten (prompt cancelled); a removed open one stays open, uncounted, until locked', async () => {
    const h = host();
    const prompt = new TestSource('prompt');
    const cfg = lab();
    let current = cfg;
    const { daemon, msgs, clock } = setup(cfg, h, { cr_imap: [prompt], cr_data: [new TestSource('keyfile:/k', 'file-key')], cr_img: [new TestSource('keyfile:/k', 'file-key')] }, { loadConfig: () => current });
    await daemon.boot(); // READY once the key-file volumes are open, with cr_imap still at its prompt
    await until(() => prompt.isWaiting, 'the prompt');
    current = config([cfg.volumes[2]!], [guest('office')], { bootWaitMs: 200 });
    await daemon.reload();
    const s = daemon.status();
    expect(s.volumes.map((v) => [v.name, v.state, v.removed])).toEqual([['cr_data', 'open', true], ['cr_img', 'open', false]]);
    expect(s.status).toBe('ready: 1/1 volumes open, 0/1 guests running');
    expect(h.mappings.has('cr_data')).toBe(true); // a reload never closes a mapping
    expect(msgs().find((m) => m.event === 'volume-removed-left-open' && m.volume === 'cr_data')?.level).toBe(40);
    expect(msgs().some((m) => m.volume === 'cr_imap' && m.event === 'volume-removed')).toBe(true);
    expect(s.guests.map((g) => g.name)).toEqual(['office']);
    expect(msgs().filter((m) => m.event === 'guest-removed').map((m) => m.guest)).toEqual(['imap', 'web']);
    prompt.answer('typed'); // too late: the request was cancelled with the volume
    await clock.advance(60_000);
    expect(h.mappings.has('cr_imap')).toBe(false);
    await daemon.lock('cr_data', false);
    expect(h.calls).toContain('close cr_data');
    expect(daemon.status().volumes.map((v) => v.name)).toEqual(['cr_img']);
    await daemon.stop();
  });
});
