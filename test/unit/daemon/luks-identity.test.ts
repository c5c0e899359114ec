// The header that is opened must be the configured one: device = "UUID=…" is checked against the LUKS UUID
// even without a separate uuid (a clone with the same filesystem UUID, or a stale by-uuid link), and two
// configured volumes whose devices have the same LUKS UUID (a cloned disk) are refused, naming both.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { VolumeManager } from '../../../src/daemon/volumes.js';
import { expectedLuksUuid } from '../../../src/daemon/luks-identity.js';
import type { VolumeConfig } from '../../../src/config/types.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { volume } from '../../helpers/config.js';

const A = '0a1b2c3d-0000-4000-8000-000000000001';
const B = '0a1b2c3d-0000-4000-8000-000000000002';

function manager(host: FakeHost, vols: VolumeConfig[]): VolumeManager {
  const m = new VolumeManager({
    cryptsetup: host.cryptsetup,
    dm: host.dm,
    devices: host.devices,
    mounts: host.mountsAdapter,
    sources: (v) => [{ label: 'test', interactive: false, get: async () => ({ kind: 'key' as const, key: Buffer.from(`pw-${v.name}`), source: 'test' }) }],
    guestsOf: () => [],
    log: createLogger({ level: 'error', sink: { write: () => undefined } }),
    onChange: () => undefined,
    clock: new FakeClock(),
  });
  m.setVolumes(vols);
  return m;
}

async function outcome(m: VolumeManager, name: string): Promise<{ phase: string; error?: string }> {
  await m.ensureOpen(name).catch(() => undefined);
  const r = m.mustGet(name);
  return { phase: r.phase, ...(r.error ? { error: r.error } : {}) };
}

describe('LUKS identity', () => {
  it('device = "UUID=…" whose header has another LUKS UUID: WrongDevice, nothing opened', async () => {
    const host = new FakeHost().disk(`UUID=${A}`, 'pw-cr_a', B);
    const m = manager(host, [volume('cr_a', { device: `UUID=${A}` })]);
    expect(await outcome(m, 'cr_a')).toEqual({ phase: 'failed', error: `volume cr_a: UUID=${A} has LUKS UUID ${B}, expected ${A}; fix device in the config` });
    expect(host.mappings.size).toBe(0);
  });

  it('device = "UUID=…" (upper case) whose header matches: opens', async () => {
    const host = new FakeHost().disk(`UUID=${A.toUpperCase()}`, 'pw-cr_a', A);
    const m = manager(host, [volume('cr_a', { device: `UUID=${A.toUpperCase()}` })]);
    expect(await outcome(m, 'cr_a')).toEqual({ phase: 'open' });
  });

  it('two configured devices with the same LUKS UUID: the second is refused, naming both', async () => {
    const host = new FakeHost().disk('/dev/sda', 'pw-cr_a', A).disk('/dev/sdb', 'pw-cr_b', A);
    const m = manager(host, [volume('cr_a', { device: '/dev/sda' }), volume('cr_b', { device: '/dev/sdb' })]);
    expect(await outcome(m, 'cr_a')).toEqual({ phase: 'open' });
    expect(await outcome(m, 'cr_b')).toEqual({
      phase: 'failed',
      error: `volume cr_b: /dev/sdb has LUKS UUID ${A}, the same as /dev/sda of volume cr_a — a cloned disk? Give one of them a new UUID (cryptsetup luksUUID --uuid=… on the clone) or remove it from the configuration`,
    });
    expect([...host.mappings.keys()]).toEqual(['cr_a']);
  });

  it('the expected UUID: uuid first, else device UUID=; none with a detached header', () => {
    expect(expectedLuksUuid({ uuid: A, device: `UUID=${B}`, header: undefined })).toBe(A);
    expect(expectedLuksUuid({ uuid: undefined, device: `UUID="${B.toUpperCase()}"`, header: undefined })).toBe(B);
    expect(expectedLuksUuid({ uuid: undefined, device: `UUID=${B}`, header: '/etc/cryptvm/h.img' })).toBeUndefined();
    expect(expectedLuksUuid({ uuid: undefined, device: '/dev/sda', header: undefined })).toBeUndefined();
  });
});
