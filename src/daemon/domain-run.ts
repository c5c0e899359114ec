// libvirt's domain state as the planner's DomainRun.
import type { DomainState } from '../adapters/virsh.js';
import type { DomainRun } from '../planner/types.js';

export function runOf(state: DomainState): DomainRun {
  if (state === 'running' || state === 'blocked' || state === 'shutdown') return 'running';
  if (state === 'paused' || state === 'pmsuspended') return 'paused';
  if (state === 'shut-off' || state === 'crashed') return 'shut-off';
  return 'unknown';
}
