// A real tang server on a loopback port for tests: tangd (Debian package tang) behind socat, with a small
// in-process TCP proxy in front so a test can stop it (connection refused), start it again on the same URL,
// or make every connection wait (a slow server). Ports are on 127.0.0.1 only.
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TANGD = '/usr/libexec/tangd';
const KEYGEN = '/usr/libexec/tangd-keygen';

/** What is missing to run a tang server here (undefined: nothing). */
export function tangMissing(): string | undefined {
  if (!existsSync(TANGD) || !existsSync(KEYGEN)) return 'tangd not installed (apt-get install tang)';
  for (const bin of ['socat', 'clevis', 'jose']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      return `${bin} not installed (apt-get install socat clevis clevis-luks jose)`;
    }
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`tang backend on port ${port} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class TangServer {
  /** Every connection waits this long before it reaches tangd. */
  delayMs = 0;
  private backend: ChildProcess | undefined;
  private proxy: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(readonly dir: string, readonly port: number, private readonly backendPort: number) {}

  /** Keys generated and a port chosen, not yet listening (start() it, possibly later). */
  static async create(): Promise<TangServer> {
    const dir = await mkdtemp(join(tmpdir(), 'cryptvm-tang-'));
    execFileSync(KEYGEN, [dir], { stdio: 'ignore' });
    return new TangServer(dir, await freePort(), await freePort());
  }

  static async started(): Promise<TangServer> {
    const t = await TangServer.create();
    await t.start();
    return t;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proxy !== undefined;
  }

  async start(): Promise<void> {
    if (this.proxy) return;
    // detached: its own process group, so stop() also ends the tangd children socat forked.
    this.backend = spawn('socat', [`TCP-LISTEN:${this.backendPort},bind=127.0.0.1,reuseaddr,fork`, `EXEC:${TANGD} ${this.dir}`], { detached: true, stdio: 'ignore' });
    await waitForPort(this.backendPort);
    const proxy = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => client.destroy());
      client.pause();
      setTimeout(() => {
        if (client.destroyed) return;
        const up = connect(this.backendPort, '127.0.0.1');
        this.sockets.add(up);
        up.on('close', () => (this.sockets.delete(up), client.destroy()));
        up.on('error', () => client.destroy());
        client.on('close', () => up.destroy());
        client.pipe(up).pipe(client);
        client.resume();
      }, this.delayMs);
    });
    await new Promise<void>((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(this.port, '127.0.0.1', resolve);
    });
    this.proxy = proxy;
  }

  /** Like a killed tangd: new connections are refused, open ones cut. */
  async stop(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    for (const s of this.sockets) s.destroy();
    if (proxy) await new Promise((r) => proxy.close(r));
    if (this.backend?.pid) {
      try {
        process.kill(-this.backend.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      this.backend = undefined;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
