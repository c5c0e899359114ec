// Metrics and [notify] with the real programs: Debian's prometheus-node-exporter serves the file FleetWatch
// writes, scraped over HTTP on loopback and checked with `promtool check metrics`; values change as a volume
// opens; the shipped alert rules pass `promtool check rules` and their unit tests (`promtool test rules`);
// the notify command runs with the event in its environment, and a hanging or failing one is contained.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import type { Config } from '../../../src/config/types.js';
import type { DaemonStatus } from '../../../src/api/types.js';
import { createLogger } from '../../../src/log/logger.js';
import { FleetWatch } from '../../../src/metrics/fleet.js';
import { freePort } from '../../helpers/https-server.js';
import { guest, status, vol } from '../../unit/metrics/status.js';

const REPO = resolve(__dirname, '../../..');
const MONITORING = join(REPO, 'packaging/monitoring');
const dir = mkdtempSync(join(tmpdir(), 'cryptvm-fleet-'));
const textfile = join(dir, 'cryptvm.prom');
const logs: string[] = [];
const log = createLogger({ level: 'debug', sink: { write: (l) => void logs.push(l) } });

function config(notify?: Config['notify']): Config {
  return { path: '/etc/cryptvm/cryptvm.toml', daemon: {} as Config['daemon'], keyServer: undefined, volumes: [], guests: [], metrics: { textfile }, notify };
}

/** The scrape as docs/fleet.md shows it: curl on loopback. */
async function scrape(port: number): Promise<string> {
  return execFileSync('curl', ['-sf', `http://127.0.0.1:${port}/metrics`], { encoding: 'utf8' });
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const series = (text: string, re: RegExp): string[] => text.split('\n').filter((l) => re.test(l));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alert rules (promtool)', () => {
  it('promtool check rules and promtool test rules pass on the shipped rules', () => {
    const check = execFileSync('promtool', ['check', 'rules', 'cryptvm-alerts.yml'], { cwd: MONITORING, encoding: 'utf8' });
    expect(check).toMatch(/SUCCESS: 4 rules found/);
    const test = execFileSync('promtool', ['test', 'rules', 'cryptvm-alerts.test.yml'], { cwd: MONITORING, encoding: 'utf8' });
    console.log(test.trim());
    expect(test).toMatch(/SUCCESS/);
  });

  it('the rule tests catch a broken rule (waiting alert after 20 minutes instead of 10)', () => {
    const broken = join(dir, 'broken');
    execFileSync('mkdir', ['-p', broken]);
    writeFileSync(join(broken, 'cryptvm-alerts.yml'), readFileSync(join(MONITORING, 'cryptvm-alerts.yml'), 'utf8').replace('for: 10m', 'for: 20m'));
    writeFileSync(join(broken, 'cryptvm-alerts.test.yml'), readFileSync(join(MONITORING, 'cryptvm-alerts.test.yml')));
    expect(() => execFileSync('promtool', ['test', 'rules', 'cryptvm-alerts.test.yml'], { cwd: broken, stdio: 'pipe' })).toThrow();
  });
});

describe('metrics served by prometheus-node-exporter', () => {
  let exporter: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    exporter = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${dir}`], { stdio: 'ignore' });
    await until('node_exporter', () => scrape(port));
  });
  afterAll(() => void exporter?.kill());

  it('shows the waiting volume, then the opened one; promtool check metrics accepts what it serves', async () => {
    let current: DaemonStatus = status([vol('cr_imap', 'waiting-passphrase', { guests: ['imap'] }), vol('cr_dns', 'open', { keySource: 'keyfile:/etc/cryptvm/keys/dns' })], [guest('imap', 'waiting', { waitingFor: ['cr_imap'] })]);
    const fleet = new FleetWatch({ status: () => current, config: () => config(), runner: new ProcessRunner(), log, version: '9.9.9' });
    fleet.changed();
    fleet.ready();
    const first = await until('the waiting volume', async () => {
      const s = await scrape(port);
      return series(s, /^cryptvm_volume_state\{.*state="waiting-passphrase".*volume="cr_imap".*\} 1$/).length === 1 ? s : undefined;
    });
    console.log(series(first, /^cryptvm_(volume_state.* 1|up|ready|guest_state.* 1|build)/).join('\n'));
    expect(series(first, /^node_textfile_scrape_error/)).toEqual(['node_textfile_scrape_error 0']);
    expect(series(first, /^cryptvm_build_info/)).toEqual(['cryptvm_build_info{version="9.9.9"} 1']);
    expect(series(first, /^cryptvm_guest_state\{guest="imap",state="waiting"\}/)).toEqual(['cryptvm_guest_state{guest="imap",state="waiting"} 1']);
    expect(execFileSync('promtool', ['check', 'metrics'], { input: first, encoding: 'utf8' })).toBe('');

    current = status([vol('cr_imap', 'open', { keySource: 'prompt' }), vol('cr_dns', 'open', { keySource: 'keyfile:/etc/cryptvm/keys/dns' })], [guest('imap', 'running')]);
    fleet.wrongPassphrase('cr_imap');
    fleet.changed();
    const second = await until('the opened volume', async () => {
      const s = await scrape(port);
      return series(s, /^cryptvm_volume_state\{.*state="open".*volume="cr_imap".*\} 1$/).length === 1 ? s : undefined;
    });
    console.log(series(second, /^cryptvm_(volume_state.*cr_imap.* 1|volume_unlock|volume_key|wrong|guest_state.* 1)/).join('\n'));
    expect(series(second, /^cryptvm_volume_key_source_info/)).toEqual([
      'cryptvm_volume_key_source_info{source="keyfile",volume="cr_dns"} 1',
      'cryptvm_volume_key_source_info{source="prompt",volume="cr_imap"} 1',
    ]);
    expect(series(second, /^cryptvm_volume_unlock_duration_seconds\{volume="cr_imap"\} \d/)).toHaveLength(1);
    expect(series(second, /^cryptvm_wrong_passphrases_total\{volume="cr_imap"\}/)).toEqual(['cryptvm_wrong_passphrases_total{volume="cr_imap"} 1']);
    expect(execFileSync('promtool', ['check', 'metrics'], { input: second, encoding: 'utf8' })).toBe('');

    await fleet.stop();
    const last = await until('cryptvm_up 0', async () => {
      const s = await scrape(port);
      return series(s, /^cryptvm_up 0$/).length === 1 ? s : undefined;
    });
    expect(series(last, /^cryptvm_up/)).toEqual(['cryptvm_up 0']);
    expect(existsSync(join(dir, '.cryptvm.prom.tmp'))).toBe(false);
  });
});

describe('[notify] command', () => {
  const out = join(dir, 'told');
  const script = join(dir, 'tell-admin');
  beforeAll(() => {
    // An admin's script: appends what it was told, one line per event.
    writeFileSync(script, `#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' "$CRYPTVM_EVENT" "$CRYPTVM_VOLUMES" "$CRYPTVM_GUESTS" "$CRYPTVM_HOST" "$CRYPTVM_MESSAGE" >> "$1"\n`);
    chmodSync(script, 0o755);
  });

  it('runs for a waiting volume, boot_wait passing, all open, a destroyed guest and a guest that did not start', async () => {
    let current = status([vol('cr_imap', 'locked'), vol('cr_dns', 'open')], [guest('imap', 'waiting')]);
    const fleet = new FleetWatch({ status: () => current, config: () => config({ command: [script, out], timeoutMs: 5000 }), runner: new ProcessRunner(), log, version: 'v', host: 'kvm1' });
    fleet.changed();
    current = status([vol('cr_imap', 'waiting-passphrase', { guests: ['imap'] }), vol('cr_dns', 'open')], [guest('imap', 'waiting')]);
    fleet.changed();
    fleet.ready();
    current = status([vol('cr_imap', 'open'), vol('cr_dns', 'open')], [guest('imap', 'shut-off', { error: 'virsh start imap: exit 1' })]);
    fleet.changed();
    fleet.guestStopped('imap', 'destroyed');
    fleet.guestStopped('dns', 'graceful');
    await fleet.stop();
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'volume-waiting|cr_imap|imap|kvm1|volume cr_imap (guests: imap) is waiting for a passphrase: run cryptvm unlock cr_imap',
      'boot-wait-passed|cr_imap||kvm1|boot went on with 1 volume(s) still locked: cr_imap (waiting-passphrase)',
      'all-open|cr_imap cr_dns||kvm1|all 2 volume(s) are open',
      'guest-start-failed||imap|kvm1|guest imap did not start: virsh start imap: exit 1',
      'guest-destroyed||imap|kvm1|guest imap did not shut down in time and was destroyed (forced off)',
    ]);
  });

  it('a hanging command never delays the caller, is killed at its timeout and logged; a failing one is logged', async () => {
    const hang = join(dir, 'hang');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 60\n');
    chmodSync(hang, 0o755);
    let cmd = [hang];
    const current = status([vol('cr_a', 'locked')]);
    const fleet = new FleetWatch({ status: () => current, config: () => config({ command: cmd, timeoutMs: 1000 }), runner: new ProcessRunner(), log, version: 'v' });
    fleet.changed();
    fleet.guestStopped('a', 'destroyed');
    // Returned before the command ended (it is killed only after 1 s): it runs in the background.
    expect(logs.some((l) => l.includes('was killed'))).toBe(false);
    expect(fleet.state.shutdowns.get('a\0destroyed')).toBe(1);
    await fleet.admin.idle();
    expect(logs.some((l) => l.includes('notify command did not finish within 1s and was killed'))).toBe(true);
    cmd = ['/bin/false'];
    fleet.guestStopped('b', 'destroyed');
    await fleet.admin.idle();
    expect(logs.some((l) => /notify command \/bin\/false failed with exit code 1/.test(l))).toBe(true);
  });

  it('the shipped sendmail example mails the event (sendmail -t -oi gets the message on stdin)', async () => {
    const mailbox = join(dir, 'mailbox');
    const sendmail = join(dir, 'sendmail');
    writeFileSync(sendmail, `#!/bin/sh\necho "argv: $*" > '${mailbox}'\ncat >> '${mailbox}'\n`);
    chmodSync(sendmail, 0o755);
    process.env.SENDMAIL = sendmail;
    try {
      const current = status([vol('cr_imap', 'waiting-passphrase', { guests: ['imap'] })]);
      const example = join(REPO, 'packaging/notify/tell-admin-mail');
      const fleet = new FleetWatch({ status: () => current, config: () => config({ command: [example, 'ops@example.org'], timeoutMs: 5000 }), runner: new ProcessRunner(), log, version: 'v', host: 'kvm7' });
      fleet.changed();
      await fleet.admin.idle();
    } finally {
      delete process.env.SENDMAIL;
    }
    const mail = readFileSync(mailbox, 'utf8');
    expect(mail.split('\n').slice(0, 4)).toEqual(['argv: -t -oi', 'To: ops@example.org', 'Subject: [cryptvm] kvm7: volume-waiting', 'Auto-Submitted: auto-generated']);
    expect(mail).toContain('volume cr_imap (guests: imap) is waiting for a passphrase: run cryptvm unlock cr_imap');
  });
});
