// SIGUSR1 (or `process._debugProcess(pid)`, which sends it) must not open the Node.js inspector in cryptvmd or
// cryptvm: the real bundles on Node 18, 20 and 22, the daemon on a private system bus. Afterwards nothing of the
// process listens on TCP, port 9229 is free, the daemon still answers `cryptvm status` and logged its status.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateBus, type PrivateBus } from '../../helpers/dbus.js';
import { REPO, run } from '../packaging/tools.js';
import { runtimes } from './runtimes.js';

/** TCP ports in LISTEN state whose socket belongs to pid (any port when pid is undefined). */
export function listeningPorts(pid?: number): number[] {
  let inodes: Set<string> | undefined;
  if (pid !== undefined) {
    inodes = new Set();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  const ports: number[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A') continue; // LISTEN
      if (inodes && !inodes.has(cols[9]!)) continue;
      ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const all = runtimes();

describe('SIGUSR1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cryptvm-usr1-'));
  const out = join(dir, 'dist');
  const config = join(dir, 'cryptvm.toml');
  let bus: PrivateBus;
  beforeAll(async () => {
    const r = run(process.execPath, [resolve(REPO, 'scripts/bundle.mjs'), '--outdir', out, '--quiet'], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    mkdirSync(join(dir, 'run'));
    writeFileSync(config, `[daemon]\nstate_dir = "${dir}/state"\nboot_wait = "1s"\n`, { mode: 0o600 });
    bus = await startPrivateBus();
  });
  afterAll(async () => {
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('(control) the port check sees the inspector that SIGUSR1 opens in a plain node process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await sleep(300);
      child.kill('SIGUSR1');
      await until('the inspector', () => listeningPorts(child.pid).includes(9229), 5000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  describe.each(all)('on %s', (_label, node) => {
    it('cryptvmd: no inspector, a status line in the log, still answers', async () => {
      const env = { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: bus.address, RUNTIME_DIRECTORY: join(dir, 'run') };
      let log = '';
      const daemon: ChildProcess = spawn(node, [join(out, 'cryptvmd.mjs'), '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      daemon.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const status = () => run(node, [join(out, 'cryptvm.mjs'), 'status'], { env: { ...env, CRYPTVM_CONFIG: config } });
      try {
        await until('cryptvm status to answer', () => status().status === 0);
        daemon.kill('SIGUSR1');
        await sleep(1000);
        expect(log).not.toMatch(/Debugger listening/);
        expect(listeningPorts(daemon.pid)).toEqual([]);
        expect(listeningPorts()).not.toContain(9229);
        await until('the status line', () => /status: /.test(log));
        const s = status();
        expect(s.status, s.stderr).toBe(0);
        expect(daemon.exitCode).toBeNull();
      } finally {
        const gone = new Promise((r) => daemon.once('exit', r));
        daemon.kill('SIGTERM');
        await gone;
      }
      expect(daemon.exitCode, log).toBe(0);
    });

    it('cryptvm: no inspector while it waits for --stdin', async () => {
      const cli = spawn(node, [join(out, 'cryptvm.mjs'), 'unlock', '--stdin', 'x'], { env: { PATH: process.env.PATH, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await sleep(1000);
        cli.kill('SIGUSR1');
        await sleep(700);
        expect(err).not.toMatch(/Debugger listening/);
        expect(listeningPorts(cli.pid)).toEqual([]);
        expect(cli.exitCode, err).toBeNull();
      } finally {
        cli.kill('SIGKILL');
      }
    });
  });
});
