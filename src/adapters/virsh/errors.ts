// virsh failures → CryptvmError. virsh prints one "error: …" line per level: first its own ("Failed to
// start domain 'x'"), then libvirt's reason ("Requested operation is not valid: …"). We keep both.
import { CryptvmError, type ErrorCode } from '../../errors.js';
import { SpawnError, type RunResult } from '../exec.js';

export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => l.replace(/^error: /, ''));
}

const NOT_FOUND = /failed to get domain|Domain not found|no domain with matching/i;

function hint(detail: string, uri: string): string | undefined {
  if (NOT_FOUND.test(detail)) return `check the guest name with: virsh -c ${uri} list --all`;
  if (/failed to connect to the hypervisor|Failed to connect socket|Connection refused/i.test(detail)) {
    return 'is libvirtd running? systemctl status libvirtd (or virtqemud.socket)';
  }
  if (/Cannot access storage file|No such file or directory/i.test(detail)) {
    return 'is the encrypted volume holding its disk open (and mounted)? cryptvm status';
  }
  if (/Permission denied|authentication|access denied/i.test(detail)) return 'run as root';
  return undefined;
}

/** A non-zero virsh exit → 'NotFound' (unknown guest) or 'Libvirt', message: what, why, fix. */
export function virshFailure(r: RunResult, what: string, uri: string, guest?: string): CryptvmError {
  const lines = errorLines(r.stderr);
  const detail = lines.length > 0 ? lines.join(': ') : `exit code ${r.exitCode}, no error message`;
  const code: ErrorCode = NOT_FOUND.test(detail) ? 'NotFound' : 'Libvirt';
  const fix = hint(detail, uri);
  const subject = guest === undefined ? what : `${what} guest ${guest}`;
  return new CryptvmError(code, `cannot ${subject}: ${detail}${fix ? ` (${fix})` : ''}`, {
    guest,
    command: r.command,
    exitCode: r.exitCode,
    cause: new Error(r.stderr.trim() || `exit code ${r.exitCode}`),
  });
}

/** virsh could not run at all, timed out or was aborted. */
export function spawnFailure(e: unknown, what: string, guest?: string): unknown {
  if (!(e instanceof SpawnError)) return e;
  const code: ErrorCode = e.reason === 'timeout' ? 'Timeout' : e.reason === 'aborted' ? 'Cancelled' : 'Libvirt';
  const fix = e.reason === 'not-found' ? ' (install libvirt-clients)' : e.reason === 'timeout' ? ' (is libvirtd hung? systemctl status libvirtd)' : '';
  const subject = guest === undefined ? what : `${what} guest ${guest}`;
  return new CryptvmError(code, `cannot ${subject}: ${e.message}${fix}`, { guest, command: e.command, cause: e });
}
