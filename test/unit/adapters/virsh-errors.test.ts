import { describe, expect, it } from 'vitest';
import { Virsh, VIRSH_START_TIMEOUT_MS, VIRSH_TIMEOUT_MS } from '../../../src/adapters/virsh.js';
import type { DomainEvent } from '../../../src/adapters/virsh.js';
import { CryptvmError } from '../../../src/errors.js';
import { FakeVirsh } from '../../helpers/fake-virsh-program.js';
import { FakeHost } from '../../helpers/fake-host.js';

const URI = 'qemu:///system';

function setup() {
  const host = new FakeHost().domain('imap', ['/dev/mapper/cr_imap'], { autostart: true }).domain('my vm', ['/dev/mapper/cr_data'], { state: 'running', id: 7 });
  const fake = new FakeVirsh(URI, host);
  return { fake, virsh: new Virsh(fake, { uri: URI }) };
}

async function caught(p: Promise<unknown>): Promise<CryptvmError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(CryptvmError);
  return e as CryptvmError;
}

describe('Virsh against a stateful fake', () => {
  it('unknown guest → NotFound with guest, command, exit code and libvirt error line', async () => {
    const { virsh } = setup();
    const e = await caught(virsh.state('nope'));
    expect(e.code).toBe('NotFound');
    expect(e.guest).toBe('nope');
    expect(e.command).toBe(`virsh -c qemu:///system domstate --reason -- nope`);
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain("failed to get domain 'nope'");
    expect(e.message).not.toContain('error: ');
    expect(e.message).toContain('list --all');
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('exists() turns NotFound into false but lets other failures through', async () => {
    const { fake, virsh } = setup();
    expect(await virsh.exists('imap')).toBe(true);
    expect(await virsh.exists('nope')).toBe(false);
    fake.daemonDown = true;
    const e = await caught(virsh.exists('imap'));
    expect(e.code).toBe('Libvirt');
    expect(e.message).toMatch(/failed to connect to the hypervisor.*is libvirtd running\? systemctl status libvirtd/);
  });

  it('start/destroy are idempotent-ish and track state; start gets the long timeout', async () => {
    const { fake, virsh } = setup();
    expect(await virsh.start('imap')).toBe('started');
    expect(await virsh.state('imap')).toEqual({ state: 'running', reason: 'booted' });
    expect(await virsh.id('imap')).toBe(1);
    expect(await virsh.start('imap')).toBe('already-running');
    expect(await virsh.destroy('imap')).toBe('destroyed');
    expect(await virsh.destroy('imap')).toBe('not-running');
    expect(await virsh.id('imap')).toBeNull();
    const timeouts = fake.calls.map((c) => [c.args[2], c.timeoutMs]);
    expect(timeouts).toContainEqual(['start', VIRSH_START_TIMEOUT_MS]);
    expect(timeouts).toContainEqual(['destroy', VIRSH_TIMEOUT_MS]);
    expect(fake.calls.every((c) => typeof c.timeoutMs === 'number')).toBe(true);
  });

  it('reads the autostart flag from dominfo', async () => {
    const { virsh } = setup();
    expect(await virsh.autostart('imap')).toBe(true);
    expect(await virsh.autostart('my vm')).toBe(false);
    expect(await virsh.hasManagedSave('imap')).toBe(false);
  });

  it('a call the fake does not expect fails loudly', async () => {
    const { virsh } = setup();
    await expect(virsh.managedSave('imap')).rejects.toThrow(/unexpected: virsh/);
  });

  it('events: parses lines and reports why virsh exited', async () => {
    const { fake, virsh } = setup();
    fake.eventLines = ["2024-01-01 10:00:00.123+0000: event 'lifecycle' for domain 'my vm': Stopped Destroyed", 'noise'];
    const seen: DomainEvent[] = [];
    const exit = await virsh.events({ onEvent: (e) => seen.push(e) });
    expect(seen).toEqual([{ timestamp: '2024-01-01 10:00:00.123+0000', domain: 'my vm', event: 'lifecycle', type: 'Stopped', detail: 'Destroyed' }]);
    expect(exit).toMatchObject({ reason: 'exited', exitCode: 1, error: 'internal error: client socket is closed' });
  });
});
