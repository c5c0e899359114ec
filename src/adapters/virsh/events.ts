// One line of `virsh event --all --loop --timestamp`, e.g.
//   2024-01-01 10:00:00.123+0000: event 'lifecycle' for domain 'imap': Started Booted
//   2024-01-01 10:00:01.000+0000: event 'reboot' for domain 'imap'
// Lines that are not events (virsh's "events received" summary, blank lines) parse to undefined.

export interface DomainEvent {
  /** virsh's timestamp text, when --timestamp was given. */
  timestamp: string | undefined;
  domain: string;
  /** 'lifecycle', 'reboot', 'rtc-change', 'device-removed', 'agent-lifecycle', … */
  event: string;
  /** lifecycle only: Defined, Undefined, Started, Suspended, Resumed, Stopped, Shutdown, PMSuspended, Crashed. */
  type: string | undefined;
  /** lifecycle: the detail (Booted, Destroyed, Shutdown, Saved, …); other events: the rest of the line. */
  detail: string | undefined;
}

// The domain name is non-greedy so a later quoted part ("state: 'connected'") does not swallow it; a name
// that itself contains "': " is the one ambiguity, and libvirt names like that are not worth the cost.
const LINE = /^(?:(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?[+-]\d{4}): )?event '([^']+)' for domain '(.*?)'(?:: (.*))?$/;

export function parseEventLine(line: string): DomainEvent | undefined {
  const m = LINE.exec(line.replace(/\r$/, ''));
  if (!m) return undefined;
  const [, timestamp, event, domain, rest] = m as unknown as [string, string | undefined, string, string, string | undefined];
  if (event !== 'lifecycle') return { timestamp, domain, event, type: undefined, detail: rest };
  const space = (rest ?? '').indexOf(' ');
  return {
    timestamp,
    domain,
    event,
    type: space < 0 ? rest || undefined : rest!.slice(0, space),
    detail: space < 0 ? undefined : rest!.slice(space + 1),
  };
}
