// Drives the VM's serial console (ttyS0) through node-pty as a person would: wait for text, type text.
// Everything the console prints is also appended to a log file for post-mortems.
import { createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { sleep } from './lib/util.mjs';

const require = createRequire(import.meta.url);
// eslint-disable-next-line import/no-commonjs
const pty = require('node-pty');

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-B]|\r/g;

export class Console {
  /** @param {string[]} args qemu arguments (first serial port must be `stdio`) @param {string} logFile */
  constructor(args, logFile) {
    this.text = '';
    this.cursor = 0;
    this.exited = false;
    this.logFile = logFile;
    this.proc = pty.spawn('qemu-system-x86_64', args, { name: 'xterm', cols: 200, rows: 50, env: process.env });
    this.proc.onData((d) => {
      this.text += d.replace(ANSI, '');
      appendFileSync(logFile, d);
    });
    this.exit = new Promise((resolve) => this.proc.onExit(({ exitCode }) => { this.exited = true; resolve(exitCode); }));
  }

  /** Wait until `re` matches console output after the cursor; moves the cursor past the match. */
  async expect(re, timeoutMs, what = String(re)) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      const m = re.exec(rest);
      if (m) {
        this.cursor += m.index + m[0].length;
        return m;
      }
      if (this.exited) throw new Error(`VM exited while waiting for ${what}`);
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; console tail:\n${rest.slice(-600)}`);
      }
      await sleep(100);
    }
  }

  /** Type like a person: one key at a time. */
  async type(s) {
    for (const ch of s) {
      this.proc.write(ch);
      await sleep(15);
    }
  }

  async line(s) { await this.type(`${s}\r`); }

  /** Log in as root on the console (password "lab"). */
  async login(timeoutMs = 240_000) {
    await this.line('');
    await this.expect(/login: $/m, timeoutMs, 'the login prompt');
    await this.line('root');
    await this.expect(/Password: ?$/m, 30_000, 'the password prompt');
    await this.line('lab');
    await this.expect(/root@cryptvm-lab:~# $/m, 30_000, 'the root shell prompt');
  }

  kill() { if (!this.exited) this.proc.kill('SIGKILL'); }
}
