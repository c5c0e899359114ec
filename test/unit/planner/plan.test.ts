import { describe, expect, it } from 'vitest';
import { describePlan, type PlanInput } from '../../../src/planner/plan.js';
import { stepTarget, withFallbacks, type Step } from '../../../src/planner/steps.js';
import { renderPlan } from '../../../src/cli/commands/plan.js';
import { config, guest, volume } from '../../helpers/config.js';

const empty: PlanInput = { volumes: [], guests: [] };
const UNIT = 'cryptvm.service';
const brief = (steps: Step[]) => withFallbacks(steps).map((s) => `${s.layer} ${s.kind} ${stepTarget(s)}`);
const line = (text: string, what: string) => text.split('\n').find((l) => l.includes(` ${what} — `))?.trim();

describe('describePlan', () => {
  const cfg = config(
    [volume('cr_a', { keys: [{ kind: 'keyfile', path: '/k' }, { kind: 'token', tokenType: 'systemd-tpm2' }, { kind: 'clevis' }, { kind: 'prompt' }] }), volume('cr_img', { mount: { where: '/srv/img', options: '', type: undefined } })],
    [guest('dns', { volumes: ['cr_a'] }), guest('imap', { after: ['dns'], delayMs: 10_000, volumes: ['cr_a'] }), guest('office', { volumes: ['cr_img'], onTimeout: 'managedsave' })],
  );

  it('boot: the opens together, then the mounts, READY, then guests in after= layers', () => {
    const p = describePlan(cfg, empty, UNIT);
    expect(brief(p.boot)).toEqual(['1 open cr_a', '1 open cr_img', '2 mount cr_img', '3 ready cryptvm.service', '4 start dns', '4 start office', '5 start imap']);
    expect(p.boot[0]).toEqual({ kind: 'open', layer: 1, volume: 'cr_a', device: '/dev/vg/cr_a', keys: ['keyfile:/k', 'token:systemd-tpm2', 'clevis', 'prompt'], passphraseGroup: undefined, open: false });
    expect(p.boot.at(-1)).toEqual({ kind: 'start', layer: 5, guest: 'imap', volumes: ['cr_a'], after: ['dns'], delayMs: 10_000, fromLibvirtAutostart: false });
    const text = renderPlan(p);
    expect(line(text, 'open cr_a')).toBe('1. open cr_a — /dev/vg/cr_a with keyfile:/k, then token:systemd-tpm2, then clevis, then prompt');
    expect(line(text, 'start imap')).toBe('5. start imap — when cr_a open, after dns + 10s');
  });

  it('shutdown: the stop path\'s layers (reversed after= graph) with their fallbacks, then every volume unmounted and closed at once', () => {
    const p = describePlan(cfg, empty, UNIT);
    // imap started after dns, so it stops first; office has no order and stops in the first layer too.
    expect(brief(p.shutdown)).toEqual([
      '1 shutdown imap', '1 destroy imap', '1 shutdown office', '1 save office', '1 destroy office', '2 shutdown dns', '2 destroy dns', '3 close cr_a', '3 unmount cr_img', '3 close cr_img',
    ]);
    expect(p.shutdown[1]).toEqual({
      kind: 'shutdown', layer: 1, guest: 'office', timeoutMs: 180_000, onTimeout: 'managedsave',
      fallback: { kind: 'save', layer: 1, guest: 'office', when: 'shutdown-timed-out', fallback: { kind: 'destroy', layer: 1, guest: 'office', when: 'save-refused-or-failed' } },
    });
    const text = renderPlan(p);
    expect(line(text, 'shutdown imap')).toBe('1. shutdown imap — ACPI shutdown, 3min then destroy, in parallel with office');
    expect(line(text, 'shutdown office')).toBe('1. shutdown office — ACPI shutdown, 3min then managedsave, in parallel with imap');
    expect(line(text, 'save office')).toBe('1. save office — if still running after 3min: virsh managedsave (only onto an encrypted save directory)');
    expect(line(text, 'shutdown dns')).toBe('2. shutdown dns — ACPI shutdown, 3min then destroy');
    expect(line(text, 'unmount cr_img')).toBe('3. unmount cr_img — /srv/img');
    expect(line(text, 'close cr_img')).toBe('3. close cr_img — /dev/mapper/cr_img, retried while busy, after its unmount, in parallel with cr_a');
  });

  it('shutdown: guests already off and volumes already closed are left out', () => {
    const now: PlanInput = {
      volumes: [{ name: 'cr_a', state: 'open' }, { name: 'cr_img', state: 'locked' }],
      guests: [
        { name: 'dns', state: 'running', volumes: ['cr_a'], libvirtAutostart: false },
        { name: 'imap', state: 'shut-off', volumes: ['cr_a'], libvirtAutostart: false },
        { name: 'office', state: 'waiting', volumes: ['cr_img'], libvirtAutostart: false },
      ],
    };
    expect(brief(describePlan(cfg, now, UNIT).shutdown)).toEqual(['1 shutdown dns', '1 destroy dns', '2 close cr_a']);
  });

  it('conflicts: libvirt autostart on a guest the table keeps from starting, a missing domain; libvirt autostart on a gated guest is fine', () => {
    const c = { ...cfg, guests: cfg.guests.map((g) => (g.name === 'office' ? { ...g, autostart: false } : g)) };
    const now: PlanInput = {
      volumes: [],
      guests: [
        { name: 'dns', state: 'running', volumes: ['cr_a'], libvirtAutostart: true },
        { name: 'imap', state: 'missing', volumes: ['cr_a'], libvirtAutostart: undefined },
        { name: 'office', state: 'shut-off', volumes: ['cr_img'], libvirtAutostart: true },
      ],
    };
    expect(describePlan(c, now, UNIT).conflicts).toEqual([
      'guest imap: no such libvirt domain — define it or remove it from the config',
      "guest office: autostart = false in the config, but libvirt's autostart flag is set: libvirtd starts it at its own start without waiting for its volumes — run: virsh autostart --disable office, or drop autostart = false",
    ]);
  });

  it('READY: "unattended" names the volumes it waits for; "all" waits for every one; a guest found through libvirt autostart says so', () => {
    const ready = (c: typeof cfg) => line(renderPlan(describePlan(c, empty, UNIT)), 'ready cryptvm.service');
    expect(describePlan(cfg, empty, UNIT).boot.find((s) => s.kind === 'ready')).toEqual({ kind: 'ready', layer: 3, unit: UNIT, mode: 'unattended', waitsFor: ['cr_a'], bootWaitMs: 120_000 });
    expect(ready(cfg)).toBe('3. ready cryptvm.service — READY=1 when cr_a (no person needed) is open or gave up, or after 2min; libvirtd starts then. Volumes waiting for a passphrase hold back only their guests; the console keeps the prompt until answered or 2min');
    expect(ready({ ...cfg, daemon: { ...cfg.daemon, ready: 'all' } })).toBe('3. ready cryptvm.service — READY=1 when every volume is open (or gave up) or after 2min; libvirtd starts then');
    const found = { ...cfg, guests: [...cfg.guests, { ...cfg.guests[0]!, name: 'web', after: [], volumes: ['cr_img'], fromLibvirtAutostart: true }] };
    expect(line(renderPlan(describePlan(found, empty, UNIT)), 'start web')).toBe("4. start web — when cr_img open (libvirt's autostart flag, no [[guest]] table)");
  });
});
