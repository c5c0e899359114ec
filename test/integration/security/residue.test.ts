// Secret residue in memory. One real cryptvmd (the bundle, on a private system bus) unlocks six volumes — real
// LUKS2 files on loop devices — each through another path, each with its own canary passphrase: key file,
// systemd credential, console prompt answered by a password agent, `cryptvm unlock --stdin`, clevis (real
// tang), https (a Vault-style key server). This kernel has no device-mapper, so cryptsetup's `open` ends in the
// real `open --test-passphrase` (test/helpers/residue/cryptsetup-test-open.sh): the key travels exactly the
// same way. Then the live daemon's memory is scanned (/proc/PID/maps + /proc/PID/mem) for every canary, as
// UTF-8 and UTF-16, before and after a full garbage collection; the `cryptvm unlock --stdin` process is scanned
// right before it exits. The table is printed; docs/security.md explains the numbers. Every path but https
// must leave 0 copies; https at most what Node's own TLS and HTTP buffers were measured to keep.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessRunner } from '../../../src/adapters/exec.js';
import { answerNext, ensureAskDir } from '../../helpers/agent.js';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { kvReply, startHttpsServer, TOKEN, tokenFile, type TestServer } from '../../helpers/https-server.js';
import { makeLuksFile } from '../../helpers/luks.js';
import { scanProcess, type Hits } from '../../helpers/residue/scan.js';
import { TangServer } from '../../helpers/tang.js';
import { makeTestCa } from '../../helpers/test-ca.js';
import { REPO, run } from '../packaging/tools.js';

const HELPERS = resolve(REPO, 'test/helpers/residue');
const PATHS = ['keyfile', 'credential', 'prompt', 'stdin', 'clevis', 'https'] as const;
type Path = (typeof PATHS)[number];
/**
 * Copies of the https key that Node's TLS and HTTP layers keep of the decrypted reply, which the daemon never
 * gets to wipe: measured 1–2 (in [heap] every run, in [stack] in some); docs/security.md.
 */
const HTTPS_BOUND = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const processState = (pid: number): string => / \(.*\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
const total = (h: Hits): number => h.utf8 + h.utf16;
/** The needle of a canary's last 16 bytes. */
const tail = (p: Path) => `${p}:tail`;

describe('secret residue in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-residue-'));
  const canary = Object.fromEntries(PATHS.map((p) => [p, `cvm-${p}-canary-${randomBytes(12).toString('hex')}`])) as Record<Path, string>;
  const loops: string[] = [];
  const device = {} as Record<Path, string>;
  let bus: PrivateBus;
  let tang: TangServer;
  let server: TestServer;
  let daemon: ChildProcess | undefined;
  let log = '';
  const env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    const r = run(process.execPath, [resolve(REPO, 'scripts/bundle.mjs'), '--outdir', join(dir, 'dist'), '--quiet'], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const sub of ['bin', 'keys', 'creds', 'state', 'run']) mkdirSync(join(dir, sub), { mode: 0o700 });
    execFileSync('cp', [join(HELPERS, 'cryptsetup-test-open.sh'), join(dir, 'bin', 'cryptsetup')]);

    // clevis: bind a LUKS file to a real tang; the canary is the key clevis generated (clevis luks pass).
    tang = await TangServer.started();
    for (const p of PATHS) {
      const file = join(dir, `${p}.img`);
      await makeLuksFile(file, { key: Buffer.from(canary[p]) });
      if (p === 'clevis') {
        const existing = join(dir, 'keys', 'existing');
        writeFileSync(existing, canary.clevis, { mode: 0o600 });
        const b = await new ProcessRunner().run('clevis', ['luks', 'bind', '-y', '-k', existing, '-d', file, 'tang', JSON.stringify({ url: tang.url })], { timeoutMs: 60_000 });
        expect(b.exitCode, b.stderr).toBe(0);
        rmSync(existing);
        // Asynchronously: clevis asks tang, whose proxy runs in this process's event loop.
        const pass = await new ProcessRunner().run('clevis', ['luks', 'pass', '-d', file, '-s', '1'], { timeoutMs: 60_000, secret: true });
        expect(pass.exitCode, pass.stderr).toBe(0);
        canary.clevis = pass.stdout;
      }
      device[p] = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
      loops.push(device[p]);
    }
    writeFileSync(join(dir, 'keys', 'keyfile.key'), canary.keyfile, { mode: 0o400 });
    writeFileSync(join(dir, 'creds', 'cr_credential'), canary.credential, { mode: 0o400 });
    chmodSync(join(dir, 'creds'), 0o500);

    const ca = makeTestCa();
    server = await startHttpsServer({ cert: ca.server.certPem, key: ca.server.keyPem }, (req, res) => {
      if (req.headers['x-vault-token'] !== TOKEN) return void res.writeHead(403).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(kvReply({ passphrase: canary.https }));
    });
    bus = await startPrivateBus();
    const config = join(dir, 'cryptvm.toml');
    const keys: Record<Path, string> = {
      keyfile: `keyfile:${join(dir, 'keys', 'keyfile.key')}`,
      credential: 'credential',
      prompt: 'prompt',
      stdin: 'prompt',
      clevis: 'clevis',
      https: `https:${server.url('/v1/secret/data/cryptvm/residue')}`,
    };
    writeFileSync(
      config,
      [
        `[daemon]\nstate_dir = "${join(dir, 'state')}"\nboot_wait = "2s"\n`,
        `[key_server]\nca = "${ca.ca}"\ntoken_file = "${tokenFile(ca)}"\n`,
        ...PATHS.map((p) => `[[volume]]\nname = "cr_${p}"\ndevice = "${device[p]}"\nkeys = ["${keys[p]}"]\n`),
      ].join('\n'),
      { mode: 0o600 },
    );
    Object.assign(env, {
      PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
      DBUS_SYSTEM_BUS_ADDRESS: bus.address,
      CREDENTIALS_DIRECTORY: join(dir, 'creds'),
      RUNTIME_DIRECTORY: join(dir, 'run'),
      CRYPTVM_CONFIG: config,
    });
    ensureAskDir();
    daemon = spawn(process.execPath, ['--expose-gc', '--import', join(HELPERS, 'gc-on-usr2.mjs'), join(dir, 'dist', 'cryptvmd.mjs'), '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  }, 180_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, sleep(20_000)]);
      daemon.kill('SIGKILL');
    }
    for (const l of loops) execFileSync('losetup', ['-d', l]);
    await server?.close();
    await tang?.stop();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every path unlocks; the canaries left in the daemon and in cryptvm are counted', async () => {
    const status = (): Record<string, string> => {
      const r = run(process.execPath, [join(dir, 'dist', 'cryptvm.mjs'), 'status', '--json'], { env });
      if (r.status !== 0) return {};
      return Object.fromEntries((JSON.parse(r.stdout) as { volumes: { name: string; state: string }[] }).volumes.map((v) => [v.name, v.state]));
    };
    // The console prompt, answered by a password agent.
    await answerNext(`cryptsetup:${device.prompt}`, Buffer.from(canary.prompt), 60_000);
    await until('cr_prompt open', () => (status().cr_prompt === 'open' ? true : undefined));

    // cryptvm unlock --stdin, stopped right before it exits and scanned then.
    const cli = spawn(process.execPath, ['--import', join(HELPERS, 'stop-before-exit.mjs'), join(dir, 'dist', 'cryptvm.mjs'), 'unlock', '--stdin', 'cr_stdin'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let cliOut = '';
    cli.stdout!.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stderr!.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stdin!.end(canary.stdin);
    await until('cryptvm unlock to stop before its exit', () => (cli.exitCode === null && processState(cli.pid!) === 'T' ? true : cli.exitCode !== null ? (() => { throw new Error(`cryptvm exited early: ${cliOut}`); })() : undefined), 120_000);
    const cliScan = scanProcess(cli.pid!, { ...canary, [tail('stdin')]: canary.stdin.slice(-16) });
    const cliExit = new Promise<number | null>((r) => cli.once('exit', r));
    cli.kill('SIGCONT');
    expect(await cliExit, cliOut).toBe(0);

    const states = await until('all six volumes open', () => {
      const s = status();
      return PATHS.every((p) => s[`cr_${p}`] === 'open') ? s : undefined;
    }, 120_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(status())}\n${log.slice(-4000)}`);
    });
    expect(Object.keys(states)).toHaveLength(6);
    await sleep(1000);

    // Control: the configuration's path is in the daemon's memory for its whole life (the scan can see).
    // Each canary's last 16 bytes are counted too: a copy whose start was overwritten (by malloc's free-list
    // pointers in a freed block, say) still shows.
    const needles: Record<string, string> = { ...canary, control: join(dir, 'cryptvm.toml') };
    for (const p of PATHS) needles[tail(p)] = canary[p].slice(-16);
    const before = scanProcess(daemon!.pid!, needles);
    daemon!.kill('SIGUSR2');
    await sleep(1500);
    const after = scanProcess(daemon!.pid!, needles);

    const rows = PATHS.map((p) => ({
      path: p,
      'daemon (utf8+utf16)': `${before.hits[p]!.utf8}+${before.hits[p]!.utf16}`,
      'daemon after GC': `${after.hits[p]!.utf8}+${after.hits[p]!.utf16}`,
      'last 16 bytes after GC': `${after.hits[tail(p)]!.utf8}+${after.hits[tail(p)]!.utf16}`,
      'cryptvm unlock --stdin': p === 'stdin' ? `${cliScan.hits[p]!.utf8}+${cliScan.hits[p]!.utf16}` : '',
    }));
    console.log(`residue of each canary (daemon: ${(before.bytes / 2 ** 20).toFixed(0)} MiB scanned; cryptvm: ${(cliScan.bytes / 2 ** 20).toFixed(0)} MiB)`);
    console.table(rows);
    for (const p of PATHS) for (const w of after.hits[tail(p)]!.where) console.log(`  ${p}: ${w}`);

    expect(total(after.hits.control!), 'control: the config path').toBeGreaterThan(0);
    // Every key the daemon reads itself (file, credential) or from a child's stdout (systemd-ask-password for
    // the prompt and for cryptvm unlock, clevis decrypt) lives in secretBuffers it wipes: nothing may remain.
    for (const p of ['keyfile', 'credential', 'prompt', 'stdin', 'clevis'] as const) {
      expect(total(before.hits[p]!), `${p}`).toBe(0);
      expect(total(after.hits[p]!), `${p} after GC`).toBe(0);
      expect(total(after.hits[tail(p)]!), `${p}: its last 16 bytes after GC`).toBe(0);
    }
    // The CLI reads stdin into a Buffer it wipes and hands it to systemd-reply-password on stdin.
    expect(total(cliScan.hits.stdin!), 'cryptvm unlock --stdin before exit').toBe(0);
    expect(total(cliScan.hits[tail('stdin')]!), 'cryptvm unlock --stdin before exit: the last 16 bytes').toBe(0);
    // https: the key itself never becomes a string, but Node's TLS and HTTP layers keep the decrypted reply.
    expect(total(before.hits.https!), 'https').toBeLessThanOrEqual(HTTPS_BOUND);
    expect(total(after.hits.https!), 'https after GC').toBeLessThanOrEqual(HTTPS_BOUND);
    expect(total(after.hits[tail('https')]!), 'https: its last 16 bytes after GC').toBeLessThanOrEqual(HTTPS_BOUND);
    // The canaries never reached the log.
    for (const p of PATHS) expect(log).not.toContain(canary[p]);
  }, 300_000);
});
