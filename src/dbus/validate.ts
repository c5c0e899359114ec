// Argument checks for the API: bad names are InvalidArgs, names the daemon does not know are NotFound.
import type { DaemonStatus } from '../api/types.js';
import { apiError } from './errors.js';

// dm-crypt mapping names and libvirt domain names in practice; no '/', no whitespace, no control characters.
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+:@-]{0,127}$/;

function checkName(kind: 'volume' | 'guest', name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw apiError('InvalidArgs', `invalid ${kind} name ${JSON.stringify(String(name)).slice(0, 140)}: use letters, digits and _ . + : @ -`);
  }
  return name;
}

export function checkVolumes(status: DaemonStatus, names: unknown[]): string[] {
  const known = new Set(status.volumes.map((v) => v.name));
  return names.map((n) => {
    const name = checkName('volume', n);
    if (!known.has(name)) throw apiError('NotFound', `no volume named ${name} in ${status.configPath}; see cryptvm status`);
    return name;
  });
}

export function checkGuests(status: DaemonStatus, names: unknown[]): string[] {
  const known = new Set(status.guests.map((g) => g.name));
  return names.map((n) => {
    const name = checkName('guest', n);
    if (!known.has(name)) throw apiError('NotFound', `no guest named ${name} in ${status.configPath}; see cryptvm status`);
    return name;
  });
}
