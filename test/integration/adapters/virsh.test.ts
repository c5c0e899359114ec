// The virsh adapter against a real libvirtd (test driver) in private namespaces: see test/helpers/libvirtd.ts.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { Virsh, type DomainEvent } from '../../../src/adapters/virsh.js';
import { CryptvmError } from '../../../src/errors.js';
import { libvirtdUnavailable, startLibvirtd, type Libvirtd } from '../../helpers/libvirtd.js';

const why = libvirtdUnavailable();
if (why) console.warn(`SKIPPED virsh integration tests: ${why}`);

const GUEST_XML = `<domain type='test'>
  <name>mail server</name>
  <memory unit='MiB'>128</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='block' device='disk'><source dev='/dev/mapper/cr_mail'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/srv/vault/images/mail-data.qcow2'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
  </devices>
</domain>`;

describe.skipIf(why)('Virsh against a private libvirtd (test driver)', () => {
  let lv: Libvirtd;
  let virsh: Virsh;

  beforeAll(async () => {
    lv = await startLibvirtd();
    virsh = new Virsh(new ProcessRunner(), { uri: lv.uri });
    await lv.define(GUEST_XML);
  });
  afterAll(async () => {
    await lv?.stop();
  });

  it('lists the default and our defined guest, state shared between calls', async () => {
    expect(await virsh.destroy('test')).toBe('destroyed'); // the default node's 'test' starts running
    const list = await virsh.list();
    expect(list).toContainEqual({ name: 'test', id: null, state: 'shut-off' });
    expect(list).toContainEqual({ name: 'mail server', id: null, state: 'shut-off' });
    expect(await virsh.exists('mail server')).toBe(true);
    expect(await virsh.exists('nope')).toBe(false);
  });

  it('start → running with an id; shutdown and destroy → shut off', async () => {
    expect(await virsh.start('mail server')).toBe('started');
    expect(await virsh.state('mail server')).toEqual({ state: 'running', reason: 'booted' });
    expect(await virsh.id('mail server')).toEqual(expect.any(Number));
    expect(await virsh.start('mail server')).toBe('already-running');
    // The test driver rejects --mode acpi ("unsupported flags"); real QEMU accepts it.
    await expect(virsh.shutdown('mail server')).rejects.toMatchObject({ code: 'Libvirt', message: expect.stringMatching(/unsupported flags/) });
    expect(await virsh.shutdown('mail server', 'any')).toBe('requested');
    expect(await virsh.state('mail server')).toEqual({ state: 'shut-off', reason: 'shutdown' });
    expect(await virsh.shutdown('mail server', 'any')).toBe('not-running');
    expect(await virsh.id('mail server')).toBeNull();
    await virsh.start('mail server');
    expect(await virsh.destroy('mail server')).toBe('destroyed');
    expect(await virsh.state('mail server')).toEqual({ state: 'shut-off', reason: 'destroyed' });
    expect(await virsh.destroy('mail server')).toBe('not-running');
  });

  it('managed save: flag and state', async () => {
    await virsh.start('test');
    expect(await virsh.managedSave('test')).toBe('saved');
    expect(await virsh.hasManagedSave('test')).toBe(true);
    expect(await virsh.state('test')).toEqual({ state: 'shut-off', reason: 'saved' });
    expect(await virsh.managedSave('test')).toBe('not-running');
  });

  it('reads the autostart flag set by virsh autostart', async () => {
    expect(await virsh.autostart('mail server')).toBe(false);
    await execa('virsh', ['-c', lv.uri, 'autostart', 'mail server']);
    expect(await virsh.autostart('mail server')).toBe(true);
    await execa('virsh', ['-c', lv.uri, 'autostart', '--disable', 'mail server']);
    expect(await virsh.autostart('mail server')).toBe(false);
  });

  it('reads the disks of a defined guest', async () => {
    expect(await virsh.disks('mail server')).toEqual([
      { type: 'block', device: 'disk', source: '/dev/mapper/cr_mail', target: 'vda', rawType: 'block' },
      { type: 'file', device: 'disk', source: '/srv/vault/images/mail-data.qcow2', target: 'vdb', rawType: 'file' },
      { type: 'file', device: 'cdrom', source: undefined, target: 'sda', rawType: 'file' },
    ]);
  });

  it('streams a lifecycle Started event, and stops on abort', async () => {
    const ac = new AbortController();
    const events: DomainEvent[] = [];
    let started!: () => void;
    const gotStarted = new Promise<void>((r) => (started = r));
    const done = virsh.events({
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.domain === 'mail server' && e.type === 'Started') started();
      },
    });
    await new Promise((r) => setTimeout(r, 500)); // let virsh register its callbacks
    await virsh.start('mail server');
    await Promise.race([gotStarted, new Promise((_, no) => setTimeout(() => no(new Error(`no Started event: ${JSON.stringify(events)}`)), 5_000))]);
    expect(events.find((e) => e.type === 'Started')).toMatchObject({ event: 'lifecycle', detail: 'Booted', timestamp: expect.stringMatching(/^\d{4}-/) });
    ac.abort();
    expect(await done).toMatchObject({ reason: 'aborted', exitCode: null });
    await virsh.destroy('mail server');
  });

  it('events: a throwing callback stops virsh and rejects', async () => {
    // Attach the handler now: the rejection arrives while start() is still awaited.
    const done = virsh.events({ onEvent: () => { throw new Error('callback broke'); } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    await virsh.start('mail server');
    expect(await done).toMatchObject({ message: 'callback broke' });
    await virsh.destroy('mail server');
  });

  it('events: virsh exiting on its own (no daemon) resolves with its error', async () => {
    const dead = new Virsh(new ProcessRunner(), { uri: `test+unix:///default?socket=${lv.dir}/missing-sock` });
    const exit = await dead.events({ onEvent: () => undefined });
    expect(exit).toMatchObject({ reason: 'exited', exitCode: 1, error: expect.stringContaining('Failed to connect socket') });
  });

  it('an unknown guest fails with NotFound naming it', async () => {
    const e = await virsh.start('no such guest').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CryptvmError);
    expect(e).toMatchObject({ code: 'NotFound', guest: 'no such guest', exitCode: 1 });
    expect((e as CryptvmError).message).toContain("cannot start guest no such guest: failed to get domain 'no such guest'");
    expect((e as CryptvmError).command).toContain("start -- 'no such guest'");
  });
});
