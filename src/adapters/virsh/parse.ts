// Pure parsers for virsh's text output (always produced under LC_ALL=C, so the words are stable).

export type DomainState =
  | 'running'
  | 'blocked'
  | 'paused'
  | 'shutdown'
  | 'shut-off'
  | 'crashed'
  | 'pmsuspended'
  | 'unknown';

// virsh's words (virshDomainStateToString) → ours. 'idle' is libvirt's VIR_DOMAIN_BLOCKED.
const STATES: Record<string, DomainState> = {
  running: 'running',
  idle: 'blocked',
  blocked: 'blocked',
  paused: 'paused',
  'in shutdown': 'shutdown',
  'shut off': 'shut-off',
  crashed: 'crashed',
  pmsuspended: 'pmsuspended',
  'no state': 'unknown',
};

export function mapState(word: string): DomainState {
  return STATES[word.trim()] ?? 'unknown';
}

/** `domstate --reason`: "shut off (destroyed)". */
export function parseDomState(stdout: string): { state: DomainState; reason: string } {
  const line = stdout.trim();
  const m = /^(.*?)\s*\(([^()]*)\)$/.exec(line);
  return m ? { state: mapState(m[1]!), reason: m[2]! } : { state: mapState(line), reason: 'unknown' };
}

/** `domid`: a number, or "-" for an inactive domain. */
export function parseDomId(stdout: string): number | null {
  const t = stdout.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** `dominfo`: "Key:   value" lines → map (keys as printed, values trimmed). */
export function parseDominfo(stdout: string): Map<string, string> {
  const info = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) info.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return info;
}

export interface ListedDomain {
  name: string;
  id: number | null;
  state: DomainState;
}

// Only known state words end a row, so a name that is a prefix of another ("a", "a b") cannot match it.
const WORDS = Object.keys(STATES).join('|');
const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/**
 * `list --all --name` gives the exact names (one a line, even with spaces); the `list --all` table gives id
 * and state, but its padded columns are ambiguous for names with spaces, so each exact name picks its row.
 */
export function parseList(namesOut: string, tableOut: string): ListedDomain[] {
  const rows = tableOut.split('\n').slice(2); // header and dashes
  const names = namesOut.split('\n').filter((n) => n.trim() !== '');
  return names.map((name) => {
    const re = new RegExp(`^\\s*(\\d+|-)\\s+${name.replace(ESCAPE, '\\$&')}\\s+(${WORDS})\\s*$`);
    for (const row of rows) {
      const m = re.exec(row);
      if (m) return { name, id: m[1] === '-' ? null : Number(m[1]), state: mapState(m[2]!) };
    }
    return { name, id: null, state: 'unknown' as const };
  });
}
