// `cryptvm unlock` typed by a person in a real terminal (node-pty), and piped in with --stdin, against the
// real Daemon on the fake host whose prompt broker asks through the real AskPassword: a real
// `systemd-ask-password` request with the daemon's Id, answered by the CLI as a password agent. The fake
// host's cryptsetup decides whether the passphrase was right; the daemon asks again after a wrong one.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AskPassword } from '../../../src/adapters/askpass.js';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { listRequests } from '../../../src/adapters/password-agent.js';
import { config, guest, volume } from '../../helpers/config.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeHost } from '../../helpers/fake-host.js';
import { serveDaemon, type ServedDaemon } from '../../helpers/served-daemon.js';
import { buildCli } from './build-cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: unlock pty tests need root (bus policy, /run/systemd/ask-password)');
const RIGHT = 'right pass ü';
const VOLUMES = ['cr_imap', 'cr_two', 'cr_pipe', 'cr_pipe_wrong'];

/** The password-agent requests pending for `volume` (systemd-ask-password's ask files). */
async function requestsFor(volume: string): Promise<number> {
  return (await listRequests()).filter((r) => r.id === `cryptsetup:/dev/vg/${volume}`).length;
}

async function until(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!isRoot)('cryptvm unlock in a terminal', () => {
  let bus: PrivateBus;
  let served: ServedDaemon;
  let cli: string;
  /** Every passphrase the daemon tried, as the fake host's cryptsetup received it. */
  const answers: string[] = [];
  const state = (name: string) => served.daemon.status().volumes.find((v) => v.name === name)?.state;
  const askId = (name: string) => served.daemon.status().volumes.find((v) => v.name === name)?.askId;

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    const h = new FakeHost();
    for (const v of VOLUMES) h.disk(`/dev/vg/${v}`, RIGHT);
    h.domain('imap', ['/dev/mapper/cr_imap']);
    const cryptsetup = {
      ...h.cryptsetup,
      open: (device: string, name: string, key: Buffer) => {
        answers.push(key.toString('utf8'));
        return h.cryptsetup.open(device, name, key);
      },
    };
    const cfg = config(VOLUMES.map((v) => volume(v)), [guest('imap')]);
    served = await serveDaemon(bus, cfg, h, { asker: new AskPassword(new ProcessRunner()), extra: { cryptsetup } });
    await until(async () => (await Promise.all(VOLUMES.map(requestsFor))).every((n) => n === 1), 'a systemd-ask-password request per volume');
  });
  afterAll(async () => {
    // Withdraws the daemon's password requests (its systemd-ask-password processes end).
    await served?.stop();
    await bus?.stop();
  });

  function terminal(...args: string[]) {
    const term = pty.spawn('node', [cli, ...args], { cols: 120, rows: 30, env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address } as Record<string, string> });
    let output = '';
    term.onData((d) => (output += d));
    const exited = new Promise<number>((r) => term.onExit((e) => r(e.exitCode)));
    const waitFor = async (text: string, from = 0) => {
      const deadline = Date.now() + 20_000;
      while (!output.includes(text, from)) {
        if (Date.now() > deadline) throw new Error(`terminal never showed ${JSON.stringify(text)}; output so far:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return output.indexOf(text, from) + text.length;
    };
    const type = (s: string) => term.write(s);
    return { waitFor, type, exited, output: () => output };
  }

  it('prompts with echo off, retries after a wrong passphrase, then unlocks', async () => {
    const t = terminal('unlock', 'cr_imap');
    await t.waitFor('guests that will start once unlocked: imap');
    let at = await t.waitFor('Please enter passphrase for disk cr_imap');
    t.type('wrong-one\r');
    at = await t.waitFor('wrong passphrase, try again', at);
    // The daemon's new request says why it asks again.
    await t.waitFor('Wrong passphrase, try again. Please enter passphrase for disk cr_imap', at);
    // A typo corrected with backspace: the daemon must receive exactly RIGHT (multi-byte ü included).
    t.type(`${RIGHT}x\x7f\r`);
    await t.waitFor('cr_imap: unlocked');
    expect(await t.exited).toBe(0);
    expect(answers).toEqual(['wrong-one', RIGHT]);
    expect(t.output()).not.toContain('wrong-one');
    expect(t.output()).not.toContain('right pass');
    expect(state('cr_imap')).toBe('open');
  });

  it('Ctrl-C stops without answering: the request stays pending', async () => {
    const t = terminal('unlock', 'cr_two');
    await t.waitFor('Please enter passphrase for disk cr_two');
    t.type('half-typ');
    t.type('\x03');
    expect(await t.exited).toBe(1);
    expect(t.output()).toContain('aborted: the passphrase request for cr_two stays pending');
    expect(t.output()).not.toContain('half-typ');
    expect(askId('cr_two')).toBe('cryptsetup:/dev/vg/cr_two');
    expect(await requestsFor('cr_two')).toBe(1);
    expect(answers).not.toContain('half-typ');
    expect(state('cr_two')).toBe('waiting-passphrase');
  });

  /** The CLI with plain pipes (no terminal): stdin gets `input`, then EOF. */
  async function piped(input: string, ...args: string[]) {
    const child = spawn('node', [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(input);
    const [code] = (await once(child, 'exit')) as [number];
    return { code, stdout, stderr };
  }

  it('--stdin: a piped passphrase (one trailing newline dropped) answers the request, with no terminal', async () => {
    answers.length = 0;
    const r = await piped(`${RIGHT}\n`, 'unlock', '--stdin', 'cr_pipe');
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('cr_pipe: unlocked') });
    expect(answers).toEqual([RIGHT]);
    expect(state('cr_pipe')).toBe('open');
    expect(r.stdout + r.stderr).not.toContain('right pass');
  });

  it('--stdin with a wrong passphrase: exit 1, no second try, the request stays pending', async () => {
    answers.length = 0;
    const r = await piped('not it\n', 'unlock', '--stdin', 'cr_pipe_wrong');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cr_pipe_wrong: wrong passphrase (the request stays pending)');
    expect(answers).toEqual(['not it']);
    await until(async () => (await requestsFor('cr_pipe_wrong')) === 1, 'the request for cr_pipe_wrong again');
    expect(state('cr_pipe_wrong')).toBe('waiting-passphrase');
  });

  it('without a terminal and without --stdin, or with an empty stdin: one clear error, nothing answered', async () => {
    answers.length = 0;
    const noTty = await piped('ignored\n', 'unlock', 'cr_pipe_wrong');
    expect(noTty.code).not.toBe(0);
    expect(noTty.stderr).toContain('pipe it in with --stdin or answer with systemd-tty-ask-password-agent --query');
    const empty = await piped('', 'unlock', '--stdin', 'cr_pipe_wrong');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('standard input is empty');
    expect(answers).toEqual([]);
  });
});
