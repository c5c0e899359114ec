// The daemon on a fake host reports how each guest it stopped went down (the hook metrics and notify use):
// graceful (ACPI), saved (managedsave on an encrypted save dir) or destroyed.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import type { KeySource } from '../../../src/keys/types.js';
import { config, guest, volume } from '../../helpers/config.js';
import { daemonOnFakeHost } from '../../helpers/fake-daemon.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { until } from '../../helpers/test-source.js';

const key: KeySource = { label: 'keyfile:/k', interactive: false, get: async () => ({ kind: 'key', key: Buffer.from('file-key'), source: 'keyfile:/k' }) };

describe('shutdown outcomes', () => {
  it.each([
    { acpi: true, saveEncrypted: false, onTimeout: 'destroy' as const, outcome: 'graceful' },
    { acpi: false, saveEncrypted: false, onTimeout: 'destroy' as const, outcome: 'destroyed' },
    { acpi: false, saveEncrypted: true, onTimeout: 'managedsave' as const, outcome: 'saved' },
    { acpi: false, saveEncrypted: false, onTimeout: 'managedsave' as const, outcome: 'destroyed' },
  ])('acpi $acpi, on_timeout $onTimeout, save dir encrypted $saveEncrypted → $outcome', async ({ acpi, saveEncrypted, onTimeout, outcome }) => {
    const clock = new FakeClock(); // the daemon's and the guest's: the 100 ms timeout passes at once
    const h = new FakeHost({ clock }).disk('/dev/vg/data', 'file-key').domain('web', ['/dev/mapper/cr_data'], { acpi });
    const cfg = config([volume('cr_data', { device: '/dev/vg/data' })], [guest('web', { shutdownTimeoutMs: 100, onTimeout })], { bootWaitMs: 200 });
    const outcomes: string[] = [];
    const { daemon } = daemonOnFakeHost(cfg, h, {
      log: createLogger({ level: 'silent' }),
      sources: () => [key],
      units: { activeState: async () => 'active', stopIntent: async () => 'stop', jobType: async () => undefined },
      saveEncrypted,
      stopped: (g, o) => void outcomes.push(`${g} ${o}`),
      clock,
    });
    await daemon.boot();
    await daemon.startGuests([]);
    await until(() => h.domains.get('web')?.state === 'running', 'web running');
    await clock.run(daemon.stopGuests([], true));
    expect(outcomes).toEqual([`web ${outcome}`]);
  });
});
