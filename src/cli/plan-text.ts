// The words `cryptvm plan` prints for each step. Every kind has its line (the compiler checks the record).
import { formatDuration } from '../config/duration.js';
import type { Step, StepKind } from '../api/types.js';
import { stepTarget } from '../planner/steps.js';

type Describe = { [K in StepKind]: (step: Extract<Step, { kind: K }>, all: readonly Step[]) => string };

/** ", in parallel with a, b": the other steps of this kind in the same layer. */
function together(step: Step, all: readonly Step[]): string {
  const others = all.filter((s) => s.kind === step.kind && s.layer === step.layer && s !== step).map(stepTarget);
  return others.length ? `, in parallel with ${others.join(', ')}` : '';
}

/** The shutdown timeout of the guest whose fallback this is. */
function timeoutOf(guest: string, all: readonly Step[]): string {
  const s = all.find((x) => x.kind === 'shutdown' && x.guest === guest);
  return s?.kind === 'shutdown' ? formatDuration(s.timeoutMs) : 'its timeout';
}

const DESCRIBE: Describe = {
  open: (s) => `${s.device} with ${s.keys.join(', then ')}${s.passphraseGroup ? `, passphrase group ${s.passphraseGroup}` : ''}${s.open ? ' (open now)' : ''}`,
  mount: (s) => `${s.mapping} on ${s.where}`,
  ready: (s) => {
    const wait = formatDuration(s.bootWaitMs);
    if (s.mode === 'all') return `READY=1 when every volume is open (or gave up) or after ${wait}; libvirtd starts then`;
    const what = s.waitsFor.length > 0 ? `when ${s.waitsFor.join(', ')} (no person needed) ${s.waitsFor.length === 1 ? 'is' : 'are'} open or gave up` : 'at once (every volume needs a person)';
    return `READY=1 ${what}, or after ${wait}; libvirtd starts then. Volumes waiting for a passphrase hold back only their guests; the console keeps the prompt until answered or ${wait}`;
  },
  start: (s) => {
    const after = s.after.length ? `, after ${s.after.join(', ')}${s.delayMs ? ` + ${formatDuration(s.delayMs)}` : ''}` : '';
    const by = s.fromLibvirtAutostart ? " (libvirt's autostart flag, no [[guest]] table)" : '';
    return `when ${s.volumes.length ? s.volumes.join(', ') : 'no volumes'} open${after}${by}`;
  },
  shutdown: (s, all) => `ACPI shutdown, ${formatDuration(s.timeoutMs)} then ${s.onTimeout}${together(s, all)}`,
  save: (s, all) => `if still running after ${timeoutOf(s.guest, all)}: virsh managedsave (only onto an encrypted save directory)`,
  destroy: (s, all) => (s.when === 'shutdown-timed-out' ? `if still running after ${timeoutOf(s.guest, all)}: virsh destroy` : 'if the managed save is refused or fails: virsh destroy'),
  unmount: (s) => s.where,
  close: (s, all) => {
    const unmounted = all.some((u) => u.kind === 'unmount' && u.volume === s.volume);
    return `${s.mapping}, retried while busy${unmounted ? ', after its unmount' : ''}${together(s, all)}`;
  },
};

export function describeStep(step: Step, all: readonly Step[]): string {
  return (DESCRIBE[step.kind] as (s: Step, all: readonly Step[]) => string)(step, all);
}
