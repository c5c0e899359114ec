// The lab VM's shape on the fake host, shared by the daemon tests: three disks (one typed passphrase, two key
// files) and three guests — imap on a raw mapping, web on another that ignores ACPI (the timeout path), office
// with a qcow2 on the mounted one.
import type { Clock } from '../../src/clock.js';
import { FakeHost } from './fake-host.js';

export function labHost(opts: { clock?: Pick<Clock, 'sleep'> } = {}): FakeHost {
  return new FakeHost(opts)
    .disk('/dev/vg/imap', 'typed')
    .disk('/dev/vg/data', 'file-key')
    .disk('/dev/vg/img', 'file-key')
    .domain('imap', ['/dev/mapper/cr_imap'])
    .domain('web', ['/dev/mapper/cr_data'], { acpi: false })
    .domain('office', ['/srv/img/office.qcow2']);
}
