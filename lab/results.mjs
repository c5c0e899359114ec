// The clean result channel: lab-run (in the VM) writes framed command output to ttyS1, which QEMU writes to
// a file on the host (`-serial file:…`). The test types `lab-run ID CMD` at the console and reads it here.
import { existsSync, readFileSync } from 'node:fs';
import { sleep } from './lib/util.mjs';

let seq = 0;
const shq = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

export class Results {
  constructor(file, console) { this.file = file; this.console = console; }

  /** Run a shell command in the VM's root shell; resolves with { out, rc }. */
  async sh(cmd, timeoutMs = 120_000) {
    const id = `r${++seq}`;
    await this.console.line(`lab-run ${id} ${shq(cmd)}`);
    return this.wait(id, timeoutMs, cmd);
  }

  async wait(id, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    const re = new RegExp(`@@BEGIN ${id}\\r?\\n([\\s\\S]*?)\\r?\\n?@@END ${id} rc=(\\d+)`);
    for (;;) {
      const text = existsSync(this.file) ? readFileSync(this.file, 'utf8') : '';
      const m = re.exec(text);
      if (m) return { out: m[1].replace(/\r/g, ''), rc: Number(m[2]) };
      if (this.console.exited) throw new Error(`VM exited while running: ${what}`);
      if (Date.now() > deadline) throw new Error(`no result after ${timeoutMs / 1000} s for: ${what}`);
      await sleep(200);
    }
  }
}
