// Guests marked `virsh autostart` need no [[guest]] table: found on disk before READY, gated like configured
// guests, and libvirt starting them by itself at libvirtd start is never a double start or a failure.
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeySource } from '../../../src/keys/types.js';
import { createLogger } from '../../../src/log/logger.js';
import type { LogEvent } from '../../../src/log/events.js';
import { discoverAutostartGuests } from '../../../src/daemon/autostart.js';
import { autostartGuests } from '../../../src/planner/autostart.js';
import type { Config } from '../../../src/config/types.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { TestSource as Key, until } from '../../helpers/test-source.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { config, guest, volume } from '../../helpers/config.js';



const xml = (name: string, dev: string) => `<domain type='qemu'><name>${name}</name><devices><disk type='block' device='disk'><source dev='${dev}'/><target dev='vda'/></disk></devices></domain>`;

describe('discoverAutostartGuests (the libvirt XML directory on disk)', () => {
  it('finds autostart links whose domain has a disk on a cryptvm volume; a broken link is logged, not fatal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cryptvm-qemu-'));
    await mkdir(join(dir, 'autostart'));
    for (const [n, dev] of [['web', '/dev/mapper/cr_data'], ['dns', '/dev/sda'], ['imap', '/dev/mapper/cr_imap'], ['manual', '/dev/mapper/cr_data']]) await writeFile(join(dir, `${n}.xml`), xml(n!, dev!));
    for (const n of ['web', 'dns', 'imap', 'gone']) await symlink(join(dir, `${n}.xml`), join(dir, 'autostart', `${n}.xml`));
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
    const cfg = config([volume('cr_data'), volume('cr_imap')], [guest('imap')]);
    expect(discoverAutostartGuests(cfg, dir, log).map((g) => g.name)).toEqual(['web']);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual([expect.stringMatching(/^cannot read the domain XML of autostart guest gone .*: cryptvm does not gate it$/)]);
    expect(discoverAutostartGuests(cfg, join(dir, 'nonexistent'), log)).toEqual([]);
  });
});

describe('daemon with autostart-marked guests and no [[guest]] tables', () => {
  /** The lines that say how a guest's start went (one per guest and outcome). */
  const START_EVENTS = new Set<LogEvent | undefined>(['guest-already-running', 'guest-waiting', 'guest-started', 'guest-start-failed']);
  // One FakeClock for the daemon and the host (guests power off 20 ms on it after an ACPI request).
  function setup(cfg: Config, h: FakeHost, clock: FakeClock, sources: Record<string, KeySource[]>, virsh?: FakeHost['virsh']) {
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
    const marked = () => [...h.domains].filter(([, d]) => d.autostart).map(([name, d]) => ({ name, disks: d.disks }));
    const { daemon } = daemonOnFakeHost(cfg, h, {
      log,
      sources: (v) => sources[v.name] ?? [],
      units: { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined },
      autostartGuests: (c) => autostartGuests(c, marked()),
      virsh,
      clock,
    });
    const msgs = () => lines.map((l) => JSON.parse(l) as { msg: string; guest?: string; guests?: string[]; event?: LogEvent });
    return { daemon, msgs };
  }
  const cfg = () => config([volume('cr_data', { keys: [{ kind: 'keyfile', path: '/k' }] }), volume('cr_imap')], [], { bootWaitMs: 60_000 });
  const host = (clock: FakeClock) =>
    new FakeHost({ clock })
      .disk('/dev/vg/cr_data', 'file-key')
      .disk('/dev/vg/cr_imap', 'typed')
      .domain('web', ['/dev/mapper/cr_data'], { autostart: true })
      .domain('imap', ['/dev/mapper/cr_imap'], { autostart: true })
      .domain('manual', ['/dev/mapper/cr_data']);

  it('libvirt starts web itself (counts as done), fails imap (locked); cryptvm starts imap when it opens; one line per guest; both stopped at shutdown', async () => {
    const clock = new FakeClock();
    const h = host(clock);
    const prompt = new Key('prompt');
    const { daemon, msgs } = setup(cfg(), h, clock, { cr_data: [new Key('keyfile:/k', 'file-key')], cr_imap: [prompt] });
    await daemon.boot(); // READY once cr_data is open: the passphrase of cr_imap does not hold it back
    expect(msgs().filter((m) => m.event === 'autostart-gated').map((m) => [m.guests, m.msg])).toEqual([[['imap', 'web'], "gated through libvirt's autostart flag (no [[guest]] table): imap, web"]]);
    h.libvirtdAutostarts(); // libvirtd starts after READY=1 and autostarts what it can
    expect(h.calls).toEqual(expect.arrayContaining(['autostart web', 'autostart-failed imap']));
    await daemon.startGuests([]); // cryptvm-guests.service
    const status = daemon.status().guests;
    expect(status.map((g) => [g.name, g.state, g.fromLibvirtAutostart])).toEqual([['imap', 'waiting', true], ['web', 'running', true]]);
    const about = (g: string) => msgs().filter((m) => m.guest === g && START_EVENTS.has(m.event)).map((m) => `${m.event}: ${m.msg}`);
    expect(about('web')).toEqual(["guest-already-running: guest already running: libvirt's autostart started it"]);
    expect(about('imap')).toEqual(["guest-waiting: guest waits for cr_imap: cryptvm starts it when it opens; libvirt's own autostart could not start it without that disk (see journalctl -u libvirtd)"]);
    prompt.answer('typed');
    await until(() => h.domains.get('imap')?.state === 'running', 'imap after its passphrase');
    expect(about('imap').slice(1)).toEqual(['guest-started: guest started']);
    expect(h.calls.filter((c) => c.startsWith('start'))).toEqual(['start imap']);
    expect(h.domains.get('manual')?.state).toBe('shut-off');
    expect((await daemon.plan()).boot.flatMap((s) => (s.kind === 'start' ? [s.guest] : []))).toEqual(['imap', 'web']);
    await clock.run(daemon.stopGuests([], true));
    expect(h.calls.filter((c) => c.startsWith('shutdown')).sort()).toEqual(['shutdown imap', 'shutdown web']);
  });

  it('virsh start failing while libvirt starts the same guest is not a failure: it runs, so it counts as started', async () => {
    const clock = new FakeClock();
    const h = host(clock);
    const racing: FakeHost['virsh'] = {
      ...h.virsh,
      start: async () => {
        h.libvirtdAutostarts(); // libvirtd's autostart holds the domain while we ask
        throw new Error('virsh start web exited 1: error: Timed out during operation: cannot acquire state change lock');
      },
    };
    const { daemon, msgs } = setup(cfg(), h, clock, { cr_data: [new Key('keyfile:/k', 'file-key')], cr_imap: [new Key('prompt')] }, racing);
    await daemon.boot();
    await daemon.startGuests(['web']);
    await until(() => daemon.status().guests.find((g) => g.name === 'web')?.state === 'running', 'web running');
    expect(daemon.status().guests.find((g) => g.name === 'web')?.error).toBeUndefined();
    expect(msgs().filter((m) => m.guest === 'web' && START_EVENTS.has(m.event)).map((m) => [m.event, m.msg])).toEqual([['guest-already-running', "guest already running: libvirt's autostart started it"]]);
    expect(msgs().some((m) => m.event === 'guest-start-failed')).toBe(false);
  });
});
