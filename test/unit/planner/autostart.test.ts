// Which autostart-marked libvirt domains cryptvm gates without a [[guest]] table.
import { describe, expect, it } from 'vitest';
import { autostartGuests } from '../../../src/planner/autostart.js';
import { config, guest, volume } from '../../helpers/config.js';

const cfg = config(
  [volume('cr_data'), volume('cr_img', { mount: { where: '/srv/img', options: '', type: undefined } })],
  [guest('imap', { after: [], delayMs: 5_000 })],
  { shutdownTimeoutMs: 42_000 },
);
const block = (source: string) => ({ type: 'block' as const, source });
const file = (source: string) => ({ type: 'file' as const, source });

describe('autostartGuests', () => {
  it.each([
    ['a block disk on a cryptvm volume', { name: 'web', disks: [block('/dev/mapper/cr_data')] }, ['web']],
    ['an image under a volume mount', { name: 'office', disks: [file('/srv/img/office.qcow2')] }, ['office']],
    ['disks elsewhere only: not ours', { name: 'dns', disks: [file('/var/lib/libvirt/images/dns.qcow2'), block('/dev/sda')] }, []],
    ['no disks at all', { name: 'empty', disks: [] }, []],
    ['a [[guest]] table wins (it may say autostart = false)', { name: 'imap', disks: [block('/dev/mapper/cr_data')] }, []],
    ['a prefix of the mount point is not inside it', { name: 'x', disks: [file('/srv/imgother/x.qcow2')] }, []],
  ])('%s', (_what, domain, want) => {
    expect(autostartGuests(cfg, [domain]).map((g) => g.name)).toEqual(want);
  });

  it('gives the gated guest the defaults a table without keys would: destroy after the daemon shutdown_timeout, marked as found', () => {
    expect(autostartGuests(cfg, [{ name: 'web', disks: [block('/dev/mapper/cr_data')] }, { name: 'a', disks: [block('/dev/mapper/cr_data')] }])).toEqual([
      { name: 'a', autostart: true, after: [], delayMs: 0, onTimeout: 'destroy', shutdownTimeoutMs: 42_000, volumes: [], line: 0, fromLibvirtAutostart: true },
      { name: 'web', autostart: true, after: [], delayMs: 0, onTimeout: 'destroy', shutdownTimeoutMs: 42_000, volumes: [], line: 0, fromLibvirtAutostart: true },
    ]);
  });
});
