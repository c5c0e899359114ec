// The one wiring with its own key chain and prompt broker (no sources given by the test): what cryptvmd
// does on a real host, over the fake host and a person at the fake password agents.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { config, volume } from '../../helpers/config.js';
import { FakeAsker } from '../../helpers/fake-asker.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { until } from '../../helpers/test-source.js';

const units = { activeState: async () => 'inactive', stopIntent: async () => 'restart', jobType: async () => undefined };

describe('wireDaemon', () => {
  it('`cryptvm unlock` of a volume whose only key is a missing key file puts up a passphrase prompt (the real broker: its ticket, and status told by the wiring)', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'right');
    const asker = new FakeAsker();
    const cfg = config([volume('cr_a', { keys: [{ kind: 'keyfile', path: '/nonexistent/cr_a.key' }] })], [], { bootWaitMs: 60_000 });
    const clock = new FakeClock();
    const { daemon } = daemonOnFakeHost(cfg, h, { log: createLogger({ level: 'silent' }), units, asker, clock });
    await daemon.boot();
    expect(daemon.status().volumes[0]?.state).toBe('locked');
    expect(asker.asks).toHaveLength(0); // a key-file volume never asks at boot
    const states: string[] = [];
    daemon.onChange((e) => void (e.kind === 'volume' && states.push(e.volume.state)));
    const unlocking = daemon.unlock(['cr_a']);
    await clock.armed(1); // the key file was read (it is missing): the broker gathers for 1 ms
    await clock.advance(1);
    const tickets = await unlocking;
    expect(tickets).toEqual([{ volume: 'cr_a', askId: 'cryptsetup:/dev/vg/cr_a' }]);
    expect(asker.open).toHaveLength(1);
    expect(asker.open[0]?.options.message).toMatch(/^Please enter passphrase for disk cr_a/);
    // The wiring tells the daemon when the question appears: API listeners (and STATUS=) hear of it.
    await until(() => states.includes('waiting-passphrase'), 'a change event for the question');
    asker.open[0]?.answer('right');
    await until(() => daemon.status().volumes[0]?.state === 'open', 'cr_a open');
    expect(h.mappings.has('cr_a')).toBe(true);
  });

  it('a passphrase group gets one prompt naming every volume in it', async () => {
    const h = new FakeHost().disk('/dev/vg/cr_a', 'pw').disk('/dev/vg/cr_b', 'pw');
    const asker = new FakeAsker();
    const cfg = config([volume('cr_a', { passphraseGroup: 'office' }), volume('cr_b', { passphraseGroup: 'office' })], [], { bootWaitMs: 60_000 });
    const clock = new FakeClock();
    const { daemon } = daemonOnFakeHost(cfg, h, { log: createLogger({ level: 'silent' }), units, asker, clock, gatherMs: 20 });
    const booted = daemon.boot();
    // Both volumes reach the broker at once; it gathers for 20 ms on the clock, then asks once.
    await clock.armed(20);
    await clock.advance(19);
    expect(asker.asks).toHaveLength(0);
    await clock.advance(1);
    expect(asker.open).toHaveLength(1);
    expect(asker.open[0]?.options.message).toMatch(/cr_a, cr_b/);
    asker.open[0]?.answer('pw');
    await booted;
    await until(() => daemon.status().volumes.every((v) => v.state === 'open'), 'both open');
    expect(asker.asks).toHaveLength(1);
  });
});
