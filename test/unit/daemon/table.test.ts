// Table tests over the fake host family: each row is a configuration and a host, the steps systemd and an
// admin take, and the host's state afterwards (FakeHost.describe()) with every warning or error the daemon
// logged. The daemon is the one wiring's, on a FakeClock shared with the host.
import { describe, expect, it } from 'vitest';
import type { StopIntent } from '../../../src/adapters/systemd.js';
import type { Config } from '../../../src/config/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { config, guest, volume } from '../../helpers/config.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { TestSource } from '../../helpers/test-source.js';

type Step = 'boot' | 'guests start' | 'stop' | { lock: string; stopGuests: boolean } | { answer: string; with: string };

interface Row {
  name: string;
  config: Config;
  host(h: FakeHost): FakeHost;
  /** A volume's key; undefined: a person who has not typed it yet. */
  keys: Record<string, string | undefined>;
  intent?: StopIntent;
  steps: Step[];
  /** FakeHost.describe() after the steps. */
  state: string[];
  /** Every message logged at warning or above, in order. */
  warnings: string[];
}

const KEYFILE = [{ kind: 'keyfile' as const, path: '/k' }];
const MOUNT = { where: '/srv/img', options: '', type: undefined };
const lab = (over: Partial<Config['daemon']> = {}) =>
  config(
    [volume('cr_imap', { device: '/dev/vg/imap' }), volume('cr_data', { device: '/dev/vg/data', keys: KEYFILE }), volume('cr_img', { device: '/dev/vg/img', keys: KEYFILE, mount: MOUNT })],
    [guest('imap'), guest('web', { after: ['imap'] }), guest('office')],
    { bootWaitMs: 60_000, ...over },
  );
const labHost = (h: FakeHost) =>
  h.disk('/dev/vg/imap', 'typed').disk('/dev/vg/data', 'file-key').disk('/dev/vg/img', 'file-key')
    .domain('imap', ['/dev/mapper/cr_imap']).domain('web', ['/dev/mapper/cr_data']).domain('office', ['/srv/img/office.qcow2']);
const DISKS = ['disk /dev/vg/data: luks', 'disk /dev/vg/img: luks', 'disk /dev/vg/imap: luks'];
const OPEN = ['mapping cr_data on /dev/vg/data', 'mapping cr_img on /dev/vg/img', 'mapping cr_imap on /dev/vg/imap', 'mount /srv/img: cr_img'];
const ALL_KEYS = { cr_imap: 'typed', cr_data: 'file-key', cr_img: 'file-key' };

const rows: Row[] = [
  {
    name: 'every key there: all open, the filesystem mounted, every guest running',
    config: lab(),
    host: labHost,
    keys: ALL_KEYS,
    steps: ['boot', 'guests start'],
    state: [...DISKS, 'domain imap: running on /dev/mapper/cr_imap', 'domain office: running on /srv/img/office.qcow2', 'domain web: running on /dev/mapper/cr_data', ...OPEN],
    warnings: [],
  },
  {
    name: 'a passphrase nobody typed: imap waits; web and office run (after = order, not requirement)',
    config: lab(),
    host: labHost,
    keys: { ...ALL_KEYS, cr_imap: undefined },
    steps: ['boot', 'guests start'],
    state: [...DISKS, 'domain imap: shut-off on /dev/mapper/cr_imap', 'domain office: running on /srv/img/office.qcow2', 'domain web: running on /dev/mapper/cr_data', ...OPEN.filter((l) => !l.includes('cr_imap'))],
    warnings: [],
  },
  {
    name: 'the passphrase typed late: imap starts too',
    config: lab(),
    host: labHost,
    keys: { ...ALL_KEYS, cr_imap: undefined },
    steps: ['boot', 'guests start', { answer: 'cr_imap', with: 'typed' }],
    state: [...DISKS, 'domain imap: running on /dev/mapper/cr_imap', 'domain office: running on /srv/img/office.qcow2', 'domain web: running on /dev/mapper/cr_data', ...OPEN],
    warnings: [],
  },
  {
    name: 'an explicit stop: guests off, filesystem unmounted, every mapping closed',
    config: lab(),
    host: labHost,
    keys: ALL_KEYS,
    steps: ['boot', 'guests start', 'stop'],
    state: [...DISKS, 'domain imap: shut-off on /dev/mapper/cr_imap', 'domain office: shut-off on /srv/img/office.qcow2', 'domain web: shut-off on /dev/mapper/cr_data'],
    warnings: [],
  },
  {
    name: 'a restart: nothing stopped, nothing closed',
    config: lab(),
    host: labHost,
    keys: ALL_KEYS,
    intent: 'restart',
    steps: ['boot', 'guests start', 'stop'],
    state: [...DISKS, 'domain imap: running on /dev/mapper/cr_imap', 'domain office: running on /srv/img/office.qcow2', 'domain web: running on /dev/mapper/cr_data', ...OPEN],
    warnings: [],
  },
  {
    name: 'cryptvm lock --stop-guests cr_img: office stops, the filesystem and the mapping go, the rest stays',
    config: lab(),
    host: labHost,
    keys: ALL_KEYS,
    steps: ['boot', 'guests start', { lock: 'cr_img', stopGuests: true }],
    state: [...DISKS, 'domain imap: running on /dev/mapper/cr_imap', 'domain office: shut-off on /srv/img/office.qcow2', 'domain web: running on /dev/mapper/cr_data', 'mapping cr_data on /dev/vg/data', 'mapping cr_imap on /dev/vg/imap'],
    warnings: [],
  },
  {
    name: 'a guest that ignores ACPI is destroyed at its timeout, then its volume closes',
    config: config([volume('cr_data', { device: '/dev/vg/data', keys: KEYFILE })], [guest('web', { shutdownTimeoutMs: 30_000 })], { bootWaitMs: 60_000 }),
    host: (h) => h.disk('/dev/vg/data', 'file-key').domain('web', ['/dev/mapper/cr_data'], { acpi: false }),
    keys: { cr_data: 'file-key' },
    steps: ['boot', 'guests start', 'stop'],
    state: ['disk /dev/vg/data: luks', 'domain web: shut-off on /dev/mapper/cr_data'],
    warnings: ['guest did not shut down in time'],
  },
  {
    name: 'a mapping of that name on another device is left alone; the volume fails and its guest never starts',
    config: config([volume('cr_data', { device: '/dev/vg/data', keys: KEYFILE })], [guest('web')], { bootWaitMs: 60_000 }),
    host: (h) => {
      h.mappings.set('cr_data', { device: '/dev/sdz', uuid: 'CRYPT-LUKS2-deadbeef-cr_data' });
      return h.disk('/dev/vg/data', 'file-key').domain('web', ['/dev/mapper/cr_data']);
    },
    keys: { cr_data: 'file-key' },
    steps: ['boot', 'guests start'],
    state: ['disk /dev/vg/data: luks', 'domain web: shut-off on /dev/mapper/cr_data', 'mapping cr_data on /dev/sdz'],
    warnings: [expect.stringMatching(/^volume cr_data: \/dev\/mapper\/cr_data already exists but is not \/dev\/vg\/data/) as unknown as string],
  },
];

async function run(row: Row): Promise<{ state: string; warnings: string[] }> {
  const clock = new FakeClock();
  const host = row.host(new FakeHost({ clock }));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(s) } });
  const sources = new Map(Object.entries(row.keys).map(([v, key]) => [v, new TestSource(key === undefined ? 'prompt' : 'keyfile:/k', key)]));
  const units = { activeState: async () => 'active', stopIntent: async () => row.intent ?? 'stop', jobType: async () => undefined };
  const { daemon } = daemonOnFakeHost(row.config, host, { log, sources: (v) => [sources.get(v.name)!], units, clock });
  for (const step of row.steps) {
    if (step === 'boot') await clock.run(daemon.boot());
    else if (step === 'guests start') await clock.run(daemon.startGuests([]));
    else if (step === 'stop') await clock.run(daemon.stop());
    else if ('lock' in step) await clock.run(daemon.lock(step.lock, step.stopGuests));
    else sources.get(step.answer)!.answer(step.with);
    await clock.advance(0); // what the step set going (guest starts, opens) has happened
  }
  const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((m) => m.level >= 40).map((m) => m.msg);
  return { state: host.describe(), warnings };
}

describe('table: configuration and steps → host state and warnings', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const got = await run(row);
      expect(got.state.split('\n')).toEqual([...row.state].sort());
      expect(got.warnings).toEqual(row.warnings);
    });
  }
});
