// The typed log events of a whole wired daemon run (boot, boot_wait, a wrong then a right passphrase, guests,
// an explicit stop) on the fake host, read from the JSON lines the daemon writes: per volume, per guest and
// for the daemon itself, which events came in which order, at which level, with which fields.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { LOG_EVENTS, type LogEvent } from '../../../src/log/events.js';
import type { KeySource } from '../../../src/keys/types.js';
import { labHost } from '../../helpers/lab-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { TestSource, until } from '../../helpers/test-source.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { config, guest, volume } from '../../helpers/config.js';

interface Line {
  level: number;
  msg: string;
  event?: LogEvent;
  volume?: string;
  guest?: string;
  [field: string]: unknown;
}

const KEYFILE = [{ kind: 'keyfile' as const, path: '/k' }];

async function run() {
  const lines: Line[] = [];
  const log = createLogger({ level: 'debug', sink: { write: (s) => void lines.push(JSON.parse(s) as Line) } });
  const clock = new FakeClock();
  const h = labHost({ clock });
  const cfg = config(
    [volume('cr_imap', { device: '/dev/vg/imap' }), volume('cr_data', { device: '/dev/vg/data', keys: KEYFILE }), volume('cr_img', { device: '/dev/vg/img', keys: KEYFILE, mount: { where: '/srv/img', options: '', type: undefined } })],
    [guest('imap', { shutdownTimeoutMs: 2_000 }), guest('web', { shutdownTimeoutMs: 150 }), guest('office', { shutdownTimeoutMs: 2_000 })],
    { bootWaitMs: 200 },
  );
  const prompt = new TestSource('prompt');
  const sources: Record<string, KeySource[]> = { cr_imap: [prompt], cr_data: [new TestSource('keyfile:/k', 'file-key')], cr_img: [new TestSource('keyfile:/k', 'file-key')] };
  const { daemon } = daemonOnFakeHost(cfg, h, {
    log,
    sources: (v) => sources[v.name] ?? [],
    units: { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined },
    clock,
  });
  await daemon.boot(); // READY=1 once the key-file volumes are open; cr_imap waits at its prompt
  await clock.advance(200); // boot_wait
  await daemon.startGuests([]);
  await until(() => h.domains.get('web')?.state === 'running' && h.domains.get('office')?.state === 'running', 'web and office');
  prompt.answer('nope');
  await until(() => prompt.asked === 2 && prompt.isWaiting, 'the prompt again');
  prompt.answer('typed');
  await until(() => h.domains.get('imap')?.state === 'running', 'imap after its passphrase');
  await clock.run(daemon.stop());
  return lines;
}

/** The events about one volume or guest (or, with neither, the daemon's own, without the step events), in order. */
function about(lines: Line[], who: { volume?: string; guest?: string }): string[] {
  return lines
    .filter((l) => l.event !== undefined && !l.event.startsWith('step-') && l.event !== 'key-source-unavailable')
    .filter((l) => l.volume === who.volume && l.guest === who.guest)
    .map((l) => `${l.event} ${l.level}`);
}

describe('typed log events of a wired daemon run', () => {
  it('each volume, guest and the daemon itself log their lifecycle as events of the vocabulary', async () => {
    const lines = await run();
    expect(lines.flatMap((l) => (l.event !== undefined && !(LOG_EVENTS as readonly string[]).includes(l.event) ? [l.event] : []))).toEqual([]);
    expect(about(lines, {})).toEqual(['daemon-ready 30', 'boot-wait-passed 40', 'stop-decided 30']);
    expect(about(lines, { volume: 'cr_data' })).toEqual(['volume-opened 30', 'volume-closed 30']);
    expect(about(lines, { volume: 'cr_img' })).toEqual(['volume-opened 30', 'filesystem-mounted 30', 'filesystem-unmounted 30', 'volume-closed 30']);
    expect(about(lines, { volume: 'cr_imap' })).toEqual(['wrong-key 20', 'volume-opened 30', 'volume-closed 30']);
    expect(about(lines, { guest: 'web' })).toEqual(['guest-started 30', 'guest-shutdown-asked 30', 'guest-shutdown-timeout 40', 'guest-destroyed 30']);
    expect(about(lines, { guest: 'office' })).toEqual(['guest-started 30', 'guest-shutdown-asked 30', 'guest-shut-down 30']);
    expect(about(lines, { guest: 'imap' })).toEqual(['guest-waiting 30', 'guest-started 30', 'guest-shutdown-asked 30', 'guest-shut-down 30']);
  });

  it('the events carry the fields a check reads: key source, mount point, stop intent, timeout action', async () => {
    const lines = await run();
    const one = (event: LogEvent, who: Partial<Line> = {}) => {
      const found = lines.filter((l) => l.event === event && Object.entries(who).every(([k, v]) => l[k] === v));
      expect(found, event).toHaveLength(1);
      return found[0]!;
    };
    expect(one('volume-opened', { volume: 'cr_data' })).toMatchObject({ source: 'keyfile:/k', msg: 'volume opened' });
    expect(one('volume-opened', { volume: 'cr_imap' })).toMatchObject({ source: 'prompt' });
    expect(one('wrong-key', { volume: 'cr_imap' })).toMatchObject({ source: 'prompt', attempt: 1 });
    expect(one('filesystem-mounted')).toMatchObject({ volume: 'cr_img', where: '/srv/img', msg: 'filesystem mounted' });
    expect(one('stop-decided')).toMatchObject({ intent: 'stop', why: "the unit's job is stop" });
    expect(one('guest-shutdown-timeout')).toMatchObject({ guest: 'web', action: 'destroy', msg: 'guest did not shut down in time' });
    expect(one('guest-shutdown-asked', { guest: 'web' })).toMatchObject({ timeout_s: 0.15, msg: 'asking guest to shut down' });
    expect(one('daemon-ready')).toMatchObject({ msg: 'ready', ready: 'unattended' });
    expect(one('boot-wait-passed')).toMatchObject({ boot_wait_s: 0.2, waiting: ['cr_imap'] });
  });
});
