// cryptvm doctor on configured devices that do not exist right now, against a fake /dev of real files and links.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Devices } from '../../../src/adapters/devices.js';
import { deviceFindings } from '../../../src/cli/device-findings.js';
import { config, volume } from '../../helpers/config.js';

describe('doctor: configured devices', () => {
  it('reports each device that does not resolve now, saying what does and does not, and is quiet about present ones', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'cryptvm-dev-'));
    mkdirSync(join(dev, 'vg'));
    mkdirSync(join(dev, 'disk/by-uuid'), { recursive: true });
    writeFileSync(join(dev, 'sdb1'), '');
    symlinkSync('../sdb1', join(dev, 'vg/here'));
    symlinkSync('../dm-7', join(dev, 'vg/stale')); // an LV whose dm node is gone
    const cfg = config(
      [
      volume('cr_here', { device: '/dev/vg/here' }),
      volume('cr_stale', { device: '/dev/vg/stale' }),
      volume('cr_usb', { device: 'UUID=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9', deviceTimeoutMs: 90_000 }),
      ],
      [],
    );
    const f = await deviceFindings(cfg, new Devices({ devRoot: dev }));
    expect(f.map((x) => x.what)).toEqual([
      `volume cr_stale: device /dev/vg/stale does not exist right now (${dev}/vg/stale is a link to ../dm-7, which does not exist); at boot the volume would wait 90 s for it and then fail`,
      `volume cr_usb: device UUID=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 does not exist right now (${dev}/disk/by-uuid/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 does not exist); at boot the volume would wait 90 s for it and then fail`,
    ]);
    expect(f.every((x) => x.level === 'problem' && /lsblk/.test(x.fix))).toBe(true);
  });
});
