// The typed virsh adapter: the only place cryptvm talks to libvirt. Every call is `virsh -c <uri> …` through
// the Runner (argv only, LC_ALL=C, a timeout each); failures become CryptvmError with the guest's name, the
// escaped command, the exit code and libvirt's own error line. Never call this before READY=1 (libvirtd
// is socket-activated and ordered after cryptvm.service: the call would deadlock until a timeout).
import type { Runner, RunResult } from './exec.js';
import { CryptvmError } from '../errors.js';
import { parseDomainDisks, type DomainDisk } from './virsh/domain-xml.js';
import { errorLines, spawnFailure, virshFailure } from './virsh/errors.js';
import { parseDomId, parseDominfo, parseDomState, parseList, type DomainState, type ListedDomain } from './virsh/parse.js';
import { watchEvents, type EventsOptions, type EventsExit } from './virsh/watch.js';

export type { DomainDisk, DomainState, ListedDomain, EventsOptions, EventsExit };
export { parseDomainDisks };
export type { DomainEvent } from './virsh/events.js';

/** Where qemu:///system keeps managed-save images: guest RAM, keys and plaintext included. */
export const QEMU_SAVE_DIR = '/var/lib/libvirt/qemu/save';

export const VIRSH_TIMEOUT_MS = 30_000;
/** The first QEMU start after boot probes capabilities (~20 s under TCG). */
export const VIRSH_START_TIMEOUT_MS = 120_000;

export type ShutdownMode = 'acpi' | 'agent' | 'initctl' | 'signal' | 'paravirt';

export interface VirshOptions {
  uri: string;
  bin?: string;
}

const ALREADY_RUNNING = /already (running|active)/i;
const NOT_RUNNING = /domain (is |'.*' )?not running/i;

export class Virsh {
  readonly uri: string;
  readonly bin: string;

  constructor(
    private readonly runner: Runner,
    opts: VirshOptions,
  ) {
    this.uri = opts.uri;
    this.bin = opts.bin ?? 'virsh';
  }

  async list(): Promise<ListedDomain[]> {
    const names = await this.ok(['list', '--all', '--name'], 'list guests');
    const table = await this.ok(['list', '--all'], 'list guests');
    return parseList(names.stdout, table.stdout);
  }

  async state(name: string): Promise<{ state: DomainState; reason: string }> {
    return parseDomState((await this.ok(['domstate', '--reason', '--', name], 'get the state of', name)).stdout);
  }

  async id(name: string): Promise<number | null> {
    return parseDomId((await this.ok(['domid', '--', name], 'get the id of', name)).stdout);
  }

  async exists(name: string): Promise<boolean> {
    try {
      await this.ok(['domid', '--', name], 'look up', name);
      return true;
    } catch (e) {
      if (e instanceof CryptvmError && e.code === 'NotFound') return false;
      throw e;
    }
  }

  async disks(name: string): Promise<DomainDisk[]> {
    const r = await this.ok(['dumpxml', '--inactive', '--', name], 'read the XML of', name);
    try {
      return parseDomainDisks(r.stdout);
    } catch (cause) {
      throw new CryptvmError('Libvirt', `cannot read the disks of guest ${name}: ${(cause as Error).message}`, {
        guest: name,
        command: r.command,
        exitCode: r.exitCode,
        cause,
      });
    }
  }

  async autostart(name: string): Promise<boolean> {
    return (await this.dominfo(name)).get('Autostart') === 'enable';
  }

  async hasManagedSave(name: string): Promise<boolean> {
    return (await this.dominfo(name)).get('Managed save') === 'yes';
  }

  async start(name: string): Promise<'started' | 'already-running'> {
    const r = await this.exec(['start', '--', name], 'start', name, VIRSH_START_TIMEOUT_MS);
    if (r.exitCode === 0) return 'started';
    if (ALREADY_RUNNING.test(errorLines(r.stderr).join('\n'))) return 'already-running';
    throw virshFailure(r, 'start', this.uri, name);
  }

  /** Asks the guest to shut down and returns at once; `mode: 'any'` lets the hypervisor pick the method. */
  async shutdown(name: string, mode: ShutdownMode | 'any' = 'acpi'): Promise<'requested' | 'not-running'> {
    const args = mode === 'any' ? ['shutdown', '--', name] : ['shutdown', '--mode', mode, '--', name];
    return (await this.unlessStopped(args, 'shut down', name)) ? 'requested' : 'not-running';
  }

  /** Hard power-off (plain destroy, no --graceful): the last resort after a shutdown timed out. */
  async destroy(name: string): Promise<'destroyed' | 'not-running'> {
    return (await this.unlessStopped(['destroy', '--', name], 'destroy', name)) ? 'destroyed' : 'not-running';
  }

  async managedSave(name: string): Promise<'saved' | 'not-running'> {
    const ok = await this.unlessStopped(['managedsave', '--', name], 'save', name, VIRSH_START_TIMEOUT_MS);
    return ok ? 'saved' : 'not-running';
  }

  /** Long-running `virsh event --all --loop --timestamp`; see watch.ts. */
  events(opts: EventsOptions): Promise<EventsExit> {
    return watchEvents(this.runner, this.bin, this.uri, opts);
  }

  private async dominfo(name: string): Promise<Map<string, string>> {
    return parseDominfo((await this.ok(['dominfo', '--', name], 'get info on', name)).stdout);
  }

  /** true: done; false: the guest was not running (success-ish for stop operations). */
  private async unlessStopped(args: string[], what: string, name: string, timeoutMs?: number): Promise<boolean> {
    const r = await this.exec(args, what, name, timeoutMs);
    if (r.exitCode === 0) return true;
    if (NOT_RUNNING.test(errorLines(r.stderr).join('\n'))) return false;
    throw virshFailure(r, what, this.uri, name);
  }

  private async ok(args: string[], what: string, name?: string): Promise<RunResult> {
    const r = await this.exec(args, what, name);
    if (r.exitCode !== 0) throw virshFailure(r, what, this.uri, name);
    return r;
  }

  private async exec(args: string[], what: string, name?: string, timeoutMs = VIRSH_TIMEOUT_MS): Promise<RunResult> {
    try {
      return await this.runner.run(this.bin, ['-c', this.uri, ...args], { timeoutMs });
    } catch (e) {
      throw spawnFailure(e, what, name);
    }
  }
}
