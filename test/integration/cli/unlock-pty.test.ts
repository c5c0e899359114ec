// `cryptvm unlock` typed by a person in a real terminal (node-pty), and piped in with --stdin: the daemon side is a FakeControl whose
// unlock() is answered by a real `systemd-ask-password` request with the returned Id; the test reads the
// agent's answer from that process and decides whether the passphrase was right.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRequests } from '../../../src/adapters/password-agent.js';
import { startApi, type Api } from '../../../src/dbus/service.js';
import { createLogger } from '../../../src/log/logger.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { FakeControl } from '../../helpers/fake-control.js';
import { buildCli } from './build-cli.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('SKIPPED: unlock pty tests need root (bus policy, /run/systemd/ask-password)');
const RIGHT = 'right pass ü';

describe.skipIf(!isRoot)('cryptvm unlock in a terminal', () => {
  let bus: PrivateBus;
  let api: Api;
  let control: FakeControl;
  let cli: string;
  const askers = new Set<ChildProcess>();
  const answers: string[] = [];

  /** The daemon side: one systemd-ask-password per request; a wrong answer re-asks with the same Id. */
  function ask(volume: string, askId: string): void {
    const child = spawn('systemd-ask-password', ['--no-tty', `--id=${askId}`, '--timeout=0', `Please enter passphrase for disk ${volume} (guests: imap):`], { stdio: ['ignore', 'pipe', 'ignore'] });
    askers.add(child);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    child.on('exit', (code) => {
      askers.delete(child);
      if (code !== 0) return; // killed by the test's cleanup
      const answer = Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
      answers.push(answer);
      if (answer === RIGHT) control.setVolume(volume, 'open');
      else ask(volume, askId);
    });
  }

  beforeAll(async () => {
    cli = await buildCli();
    bus = await startPrivateBus();
    control = new FakeControl([{ name: 'cr_imap' }, { name: 'cr_two' }, { name: 'cr_pipe' }, { name: 'cr_pipe_wrong' }], [{ name: 'imap', volumes: ['cr_imap'] }]);
    control.onChange((e) => {
      if (e.kind === 'volume' && e.volume.state === 'waiting-passphrase' && e.volume.askId) ask(e.volume.name, e.volume.askId);
    });
    api = await startApi(control, { busAddress: bus.address, log: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    for (const a of askers) a.kill();
    await api?.stop();
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
    let at = await t.waitFor('Please enter passphrase for disk cr_imap (guests: imap):');
    t.type('wrong-one\r');
    at = await t.waitFor('wrong passphrase, try again', at);
    await t.waitFor('Please enter passphrase for disk cr_imap', at);
    // A typo corrected with backspace: the daemon must receive exactly RIGHT (multi-byte ü included).
    t.type(`${RIGHT}x\x7f\r`);
    await t.waitFor('cr_imap: unlocked');
    expect(await t.exited).toBe(0);
    expect(answers).toEqual(['wrong-one', RIGHT]);
    expect(t.output()).not.toContain('wrong-one');
    expect(t.output()).not.toContain('right pass');
    expect(control.volumes.get('cr_imap')?.state).toBe('open');
  });

  it('Ctrl-C stops without answering: the request stays pending', async () => {
    const t = terminal('unlock', 'cr_two');
    await t.waitFor('Please enter passphrase for disk cr_two');
    t.type('half-typ');
    t.type('\x03');
    expect(await t.exited).toBe(1);
    expect(t.output()).toContain('aborted: the passphrase request for cr_two stays pending');
    expect(t.output()).not.toContain('half-typ');
    const askId = control.volumes.get('cr_two')?.askId;
    expect((await listRequests()).filter((r) => r.id === askId)).toHaveLength(1);
    expect(answers).not.toContain('half-typ');
    expect(control.volumes.get('cr_two')?.state).toBe('waiting-passphrase');
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
    expect(control.volumes.get('cr_pipe')?.state).toBe('open');
    expect(r.stdout + r.stderr).not.toContain('right pass');
  });

  it('--stdin with a wrong passphrase: exit 1, no second try, the request stays pending', async () => {
    answers.length = 0;
    const r = await piped('not it\n', 'unlock', '--stdin', 'cr_pipe_wrong');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cr_pipe_wrong: wrong passphrase (the request stays pending)');
    expect(answers).toEqual(['not it']);
    const askId = control.volumes.get('cr_pipe_wrong')?.askId;
    expect((await listRequests()).filter((x) => x.id === askId)).toHaveLength(1);
    expect(control.volumes.get('cr_pipe_wrong')?.state).toBe('waiting-passphrase');
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
