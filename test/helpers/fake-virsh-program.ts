// The `virsh` program of a FakeHost, for the Virsh adapter's tests: the host's domains as the program prints
// them, libvirt's real error texts (captured from libvirt 9.0), and a throw on anything it does not expect.
import type { Runner, RunOptions, RunResult, StreamOptions, StreamResult } from '../../src/adapters/exec.js';
import { quoteCommand } from '../../src/adapters/quote.js';
import type { FakeHost } from './fake-host.js';

export class FakeVirsh implements Runner {
  readonly calls: { args: string[]; timeoutMs: number | undefined }[] = [];
  eventLines: string[] = [];
  daemonDown = false;

  constructor(
    readonly uri: string,
    readonly host: FakeHost,
  ) {}

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ args: [...args], timeoutMs: options.timeoutMs });
    const command = quoteCommand(file, args);
    if (file !== 'virsh' || args[0] !== '-c' || args[1] !== this.uri) throw new Error(`unexpected: ${command}`);
    const res = (exitCode: number, stdout: string, stderr = ''): RunResult => ({ command, exitCode, stdout, stderr });
    if (this.daemonDown) {
      return res(1, '', "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/run/libvirt/libvirt-sock': No such file or directory\n");
    }
    const [verb, ...rest] = args.slice(2);
    const name = rest[rest.length - 1]!;
    const dom = this.host.domains.get(name);
    const key = `${verb} ${rest.slice(0, -1).join(' ')}`.trim();
    if (!['domstate --reason --', 'domid --', 'start --', 'destroy --', 'dominfo --'].includes(key)) {
      throw new Error(`unexpected: ${command}`);
    }
    if (!dom) return res(1, '', `error: failed to get domain '${name}'\n`);
    const running = dom.state === 'running';
    switch (verb) {
      case 'domstate':
        return res(0, running ? 'running (booted)\n\n' : 'shut off (destroyed)\n\n');
      case 'domid':
        return res(0, running ? `${dom.id}\n\n` : '-\n\n');
      case 'dominfo':
        return res(0, `Id:             -\nName:           ${name}\nAutostart:      ${dom.autostart ? 'enable' : 'disable'}\nManaged save:   no\n\n`);
      case 'start':
        if (running) return res(1, '', `error: Failed to start domain '${name}'\nerror: Requested operation is not valid: domain is already running\n`);
        this.host.power(name, 'running');
        return res(0, `Domain '${name}' started\n\n`);
      default: // destroy
        if (!running) return res(1, '', `error: Failed to destroy domain '${name}'\nerror: Requested operation is not valid: domain is not running\n`);
        this.host.power(name, 'shut-off');
        return res(0, `Domain '${name}' destroyed\n\n`);
    }
  }

  async stream(file: string, args: readonly string[], options: StreamOptions): Promise<StreamResult> {
    const command = quoteCommand(file, args);
    if (args.slice(2).join(' ') !== 'event --all --loop --timestamp') throw new Error(`unexpected: ${command}`);
    for (const line of this.eventLines) options.onLine(line);
    return { command, exitCode: 1, stderr: 'error: internal error: client socket is closed\n' };
  }
}
