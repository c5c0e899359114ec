// The exposition text from a sequence of snapshots: exact lines, label escaping, no secrets or URLs.
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../src/metrics/render.js';
import { MetricsState } from '../../../src/metrics/state.js';
import { guest, status, vol } from './status.js';

function run() {
  let now = 1000;
  const m = new MetricsState(() => now, 1000, 1_790_000_000);
  m.observe(status([vol('cr_a', 'locked'), vol('cr_b', 'waiting-passphrase')], [guest('imap', 'waiting', { waitingFor: ['cr_b'] })]));
  now = 3500;
  m.observe(status([vol('cr_a', 'open', { keySource: 'https:https://vault.example/v1/secret/data/a?token=nope', skipped: ['clevis: tang down'] }), vol('cr_b', 'waiting-passphrase')], [guest('imap', 'waiting')]));
  now = 4000;
  m.ready();
  m.wrongPassphrase('cr_b');
  m.guestStopped('imap', 'destroyed');
  return m;
}

const lines = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(name));

describe('renderMetrics', () => {
  it('renders states, timings, counters and build info', () => {
    const text = renderMetrics(run(), '1.2.3');
    expect(lines(text, 'cryptvm_build_info')).toEqual(['cryptvm_build_info{version="1.2.3"} 1']);
    expect(lines(text, 'cryptvm_up')).toEqual(['cryptvm_up 1']);
    expect(lines(text, 'cryptvm_ready_seconds')).toEqual(['cryptvm_ready_seconds 3']);
    expect(lines(text, 'cryptvm_start_time_seconds')).toEqual(['cryptvm_start_time_seconds 1790000000']);
    expect(lines(text, 'cryptvm_volume_state{volume="cr_b"').filter((l) => l.endsWith(' 1'))).toEqual(['cryptvm_volume_state{volume="cr_b",state="waiting-passphrase"} 1']);
    expect(lines(text, 'cryptvm_volume_state{volume="cr_a"')).toHaveLength(7);
    expect(lines(text, 'cryptvm_volume_unlock_duration_seconds')).toEqual(['cryptvm_volume_unlock_duration_seconds{volume="cr_a"} 2.500']);
    expect(lines(text, 'cryptvm_volume_key_source_info')).toEqual(['cryptvm_volume_key_source_info{volume="cr_a",source="https"} 1']);
    expect(lines(text, 'cryptvm_guest_state{guest="imap",state="waiting"}')).toEqual(['cryptvm_guest_state{guest="imap",state="waiting"} 1']);
    expect(lines(text, 'cryptvm_guest_shutdowns_total')).toEqual(['cryptvm_guest_shutdowns_total{guest="imap",outcome="destroyed"} 1']);
    expect(lines(text, 'cryptvm_wrong_passphrases_total')).toEqual(['cryptvm_wrong_passphrases_total{volume="cr_a"} 0', 'cryptvm_wrong_passphrases_total{volume="cr_b"} 1']);
    expect(lines(text, 'cryptvm_key_source_failures_total')).toEqual(['cryptvm_key_source_failures_total{source="clevis"} 1']);
    expect(text).not.toMatch(/vault\.example|token=|tang down/);
    // Every family has HELP and TYPE right before its samples.
    expect(text).toMatch(/# HELP cryptvm_guest_shutdowns_total .*\n# TYPE cryptvm_guest_shutdowns_total counter\ncryptvm_guest_shutdowns_total\{/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('a failed volume carries its reason class; a stopped daemon says cryptvm_up 0', () => {
    const m = new MetricsState(() => 0, 0, 0);
    m.observe(status([vol('cr_x', 'failed', { error: 'volume cr_x: /dev/x is not a LUKS device' })]));
    m.up = false;
    const text = renderMetrics(m, 'v');
    expect(lines(text, 'cryptvm_volume_failed')).toEqual(['cryptvm_volume_failed{volume="cr_x",reason="not-luks"} 1']);
    expect(lines(text, 'cryptvm_up')).toEqual(['cryptvm_up 0']);
    expect(lines(text, 'cryptvm_ready_seconds')).toEqual([]);
  });

  it('escapes label values', () => {
    const m = new MetricsState(() => 0, 0, 0);
    m.observe(status([vol('a"b\\c\nd', 'locked')]));
    expect(renderMetrics(m, 'v')).toContain('cryptvm_volume_state{volume="a\\"b\\\\c\\nd",state="locked"} 1');
  });

  it('the unlock duration restarts after a lock', () => {
    let now = 0;
    const m = new MetricsState(() => now, 0, 0);
    m.observe(status([vol('a', 'open', { keySource: 'adopted' })]));
    now = 10_000;
    m.observe(status([vol('a', 'locked')]));
    now = 10_750;
    m.observe(status([vol('a', 'open', { keySource: 'prompt' })]));
    const text = renderMetrics(m, 'v');
    expect(lines(text, 'cryptvm_volume_unlock_duration_seconds')).toEqual(['cryptvm_volume_unlock_duration_seconds{volume="a"} 0.750']);
    expect(lines(text, 'cryptvm_volume_key_source_info')).toEqual(['cryptvm_volume_key_source_info{volume="a",source="prompt"} 1']);
  });
});
