import { describe, expect, it } from 'vitest';
import { parseDomainDisks } from '../../../src/adapters/virsh.js';
import { parseEventLine } from '../../../src/adapters/virsh/events.js';
import { parseDomId, parseDominfo, parseDomState, parseList } from '../../../src/adapters/virsh/parse.js';

const XML = `<domain type='kvm'>
  <name>imap</name>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/mapper/cr_a'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='/var/lib/libvirt/images/x &amp; y.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='pool/image'><host name='ceph1' port='6789'/></source>
      <target dev='vdc' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <source pool='default' volume='v1'/>
      <target dev='vdd'/>
    </disk>
    <interface type='network'><source network='default'/></interface>
  </devices>
</domain>`;

describe('parseDomainDisks', () => {
  it('maps block, file, empty cdrom, network and volume disks', () => {
    expect(parseDomainDisks(XML)).toEqual([
      { type: 'block', device: 'disk', source: '/dev/mapper/cr_a', target: 'vda', rawType: 'block' },
      { type: 'file', device: 'disk', source: '/var/lib/libvirt/images/x & y.qcow2', target: 'vdb', rawType: 'file' },
      { type: 'file', device: 'cdrom', source: undefined, target: 'sda', rawType: 'file' },
      { type: 'other', device: 'disk', source: undefined, target: 'vdc', rawType: 'network' },
      { type: 'other', device: 'disk', source: undefined, target: 'vdd', rawType: 'volume' },
    ]);
  });
  it('handles a single disk and a domain without devices', () => {
    const one = `<domain><devices><disk type='block'><source dev='/dev/mapper/cr_b'/><target dev='sda'/></disk></devices></domain>`;
    expect(parseDomainDisks(one)).toEqual([{ type: 'block', device: 'disk', source: '/dev/mapper/cr_b', target: 'sda', rawType: 'block' }]);
    expect(parseDomainDisks('<domain><name>x</name></domain>')).toEqual([]);
  });
  it('rejects XML that is not a domain', () => {
    expect(() => parseDomainDisks('<network><name>x</name></network>')).toThrow(/no <domain> element/);
  });
});

describe('parseEventLine', () => {
  it('parses a lifecycle event with timestamp', () => {
    expect(parseEventLine("2024-01-01 10:00:00.123+0000: event 'lifecycle' for domain 'imap': Started Booted")).toEqual({
      timestamp: '2024-01-01 10:00:00.123+0000',
      domain: 'imap',
      event: 'lifecycle',
      type: 'Started',
      detail: 'Booted',
    });
  });
  it('keeps names with spaces and quotes, and non-lifecycle details', () => {
    expect(parseEventLine("event 'lifecycle' for domain 'my vm': Stopped Shutdown")).toMatchObject({ domain: 'my vm', type: 'Stopped', detail: 'Shutdown', timestamp: undefined });
    expect(parseEventLine("2024-01-01 10:00:00.123+0000: event 'agent-lifecycle' for domain 'a': state: 'connected' reason: 'channel event'")).toMatchObject({
      domain: 'a',
      event: 'agent-lifecycle',
      type: undefined,
      detail: "state: 'connected' reason: 'channel event'",
    });
    expect(parseEventLine("2024-01-01 10:00:00.123+0000: event 'reboot' for domain 'a'")).toMatchObject({ event: 'reboot', detail: undefined });
  });
  it('ignores non-event lines', () => {
    expect(parseEventLine('events received: 3')).toBeUndefined();
    expect(parseEventLine('')).toBeUndefined();
  });
});

describe('virsh text output', () => {
  it('domstate --reason', () => {
    expect(parseDomState('shut off (destroyed)\n\n')).toEqual({ state: 'shut-off', reason: 'destroyed' });
    expect(parseDomState('idle (unknown)\n')).toEqual({ state: 'blocked', reason: 'unknown' });
    expect(parseDomState('in shutdown (user)\n')).toEqual({ state: 'shutdown', reason: 'user' });
    expect(parseDomState('weird\n')).toEqual({ state: 'unknown', reason: 'unknown' });
  });
  it('domid', () => {
    expect(parseDomId('7\n\n')).toBe(7);
    expect(parseDomId('-\n\n')).toBeNull();
  });
  it('dominfo', () => {
    const info = parseDominfo('Id:             -\nName:           test\nAutostart:      enable\nManaged save:   yes\nSecurity DOI:   \n');
    expect(info.get('Autostart')).toBe('enable');
    expect(info.get('Managed save')).toBe('yes');
    expect(info.get('Security DOI')).toBe('');
  });
  it('list: exact names pick their table rows, even with spaces and shared prefixes', () => {
    const names = 'a\na b\nweb\n\n';
    const table = ' Id   Name   State\n-------------------------\n 3    web    running\n -    a      shut off\n 5    a b    paused\n\n';
    expect(parseList(names, table)).toEqual([
      { name: 'a', id: null, state: 'shut-off' },
      { name: 'a b', id: 5, state: 'paused' },
      { name: 'web', id: 3, state: 'running' },
    ]);
  });
});
