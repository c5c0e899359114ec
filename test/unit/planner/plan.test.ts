import { describe, expect, it } from 'vitest';
import { describePlan } from '../../../src/planner/plan.js';
import type { DaemonStatus } from '../../../src/api/types.js';
import { config, guest, volume } from '../../helpers/config.js';

const empty: DaemonStatus = { phase: 'ready', status: '', configPath: '/x', volumes: [], guests: [], consoleWait: [] };

describe('describePlan', () => {
  const cfg = config(
    [volume('cr_a', { keys: [{ kind: 'keyfile', path: '/k' }, { kind: 'token', tokenType: 'systemd-tpm2' }, { kind: 'clevis' }, { kind: 'prompt' }] }), volume('cr_img', { mount: { where: '/srv/img', options: '', type: undefined } })],
    [guest('dns', { volumes: ['cr_a'] }), guest('imap', { after: ['dns'], delayMs: 10_000, volumes: ['cr_a'] }), guest('office', { volumes: ['cr_img'], onTimeout: 'managedsave' })],
  );

  it('boot: volumes in config order, then READY, then guests in after= order', () => {
    const p = describePlan(cfg, empty);
    expect(p.boot.map((s) => `${s.action} ${s.target}`)).toEqual(['open cr_a', 'open cr_img', 'mount cr_img', 'ready cryptvm.service', 'start dns', 'start office', 'start imap']);
    expect(p.boot[0]!.detail).toBe('/dev/vg/cr_a with keyfile:/k, then token:systemd-tpm2, then clevis, then prompt');
    expect(p.boot[6]!.detail).toBe('when cr_a open, after dns + 10s');
  });

  it('shutdown: the layers the stop path runs (reversed after= graph), then every volume closed at once', () => {
    const p = describePlan(cfg, empty);
    // imap started after dns, so it stops first; office has no order and stops in the first layer too.
    expect(p.shutdown.map((s) => `${s.layer} ${s.action} ${s.target}`)).toEqual([
      '1 shutdown imap', '1 shutdown office', '2 shutdown dns', '3 close cr_a', '3 unmount cr_img', '3 close cr_img',
    ]);
    expect(p.shutdown[0]!.detail).toBe('ACPI shutdown, 3min then destroy, in parallel with office');
    expect(p.shutdown[1]!.detail).toBe('ACPI shutdown, 3min then managedsave, in parallel with imap');
    expect(p.shutdown[2]!.detail).toBe('ACPI shutdown, 3min then destroy');
    expect(p.shutdown[4]!.detail).toBe('/srv/img');
    expect(p.shutdown[5]!.detail).toBe('/dev/mapper/cr_img, retried while busy, after its unmount, in parallel with cr_a');
  });

  it('shutdown: guests already off and volumes already closed are left out', () => {
    const status: DaemonStatus = {
      ...empty,
      volumes: [{ name: 'cr_a', state: 'open' }, { name: 'cr_img', state: 'locked' }] as DaemonStatus['volumes'],
      guests: [
        { name: 'dns', state: 'running', waitingFor: [], volumes: ['cr_a'], autostart: true, libvirtAutostart: false, error: undefined },
        { name: 'imap', state: 'shut-off', waitingFor: [], volumes: ['cr_a'], autostart: true, libvirtAutostart: false, error: undefined },
        { name: 'office', state: 'waiting', waitingFor: ['cr_img'], volumes: ['cr_img'], autostart: true, libvirtAutostart: false, error: undefined },
      ],
    };
    expect(describePlan(cfg, status).shutdown.map((s) => `${s.layer} ${s.action} ${s.target}`)).toEqual(['1 shutdown dns', '2 close cr_a']);
  });

  it('conflicts: libvirt autostart on a guest the table keeps from starting, a missing domain; libvirt autostart on a gated guest is fine', () => {
    const c = { ...cfg, guests: cfg.guests.map((g) => (g.name === 'office' ? { ...g, autostart: false } : g)) };
    const status: DaemonStatus = {
      ...empty,
      guests: [
        { name: 'dns', state: 'running', waitingFor: [], volumes: ['cr_a'], autostart: true, libvirtAutostart: true, error: undefined },
        { name: 'imap', state: 'missing', waitingFor: [], volumes: ['cr_a'], autostart: true, libvirtAutostart: undefined, error: undefined },
        { name: 'office', state: 'shut-off', waitingFor: [], volumes: ['cr_img'], autostart: false, libvirtAutostart: true, error: undefined },
      ],
    };
    expect(describePlan(c, status).conflicts).toEqual([
      'guest imap: no such libvirt domain — define it or remove it from the config',
      "guest office: autostart = false in the config, but libvirt's autostart flag is set: libvirtd starts it at its own start without waiting for its volumes — run: virsh autostart --disable office, or drop autostart = false",
    ]);
  });

  it('READY: "unattended" names the volumes it waits for; "all" waits for every one; a guest found through libvirt autostart says so', () => {
    const ready = (c: typeof cfg) => describePlan(c, empty).boot.find((s) => s.action === 'ready')!.detail;
    expect(ready(cfg)).toBe('READY=1 when cr_a (no person needed) is open or gave up, or after 2min; libvirtd starts then. Volumes waiting for a passphrase hold back only their guests; the console keeps the prompt until answered or 2min');
    expect(ready({ ...cfg, daemon: { ...cfg.daemon, ready: 'all' } })).toBe('READY=1 when every volume is open (or gave up) or after 2min; libvirtd starts then');
    const found = { ...cfg, guests: [...cfg.guests, { ...cfg.guests[0]!, name: 'web', after: [], volumes: ['cr_img'], fromLibvirtAutostart: true }] };
    expect(describePlan(found, empty).boot.find((s) => s.target === 'web')?.detail).toBe("when cr_img open (libvirt's autostart flag, no [[guest]] table)");
  });
});
