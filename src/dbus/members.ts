// The API surface, declared once: it feeds dbus-next's Interface.configureMembers (properties, signals,
// method signatures), the introspection XML we serve ourselves (dbus-next's own has neither argument names
// nor org.freedesktop.DBus.Description annotations), the dispatcher's handler table and the CLI's client.
// The method names form a literal union (MethodName), so a table keyed by them is checked for completeness.

export interface Arg {
  readonly name: string;
  readonly type: string;
}

export interface MethodSpec {
  readonly in: readonly Arg[];
  readonly out: readonly Arg[];
  /** Changes state (unlocks, stops, …): root only, checked by uid on top of the bus policy. */
  readonly privileged: boolean;
  /**
   * The boolean in-argument that makes the call wait for guests to shut down (ACPI, per-guest timeouts, then
   * destroy/save): with it true the client waits LONG_CALL_TIMEOUT_MS instead of its default.
   */
  readonly longWhen?: string;
  readonly doc: string;
}

/** Every call waits this long for the daemon's answer unless the client says otherwise (dbus-next has no timeout). */
export const DEFAULT_CALL_TIMEOUT_MS = 25_000;
/** A call whose `longWhen` argument is true: the daemon waits for ACPI shutdowns. */
export const LONG_CALL_TIMEOUT_MS = 30 * 60_000;

export const METHODS = {
  GetStatus: { in: [], out: [{ name: 'status_json', type: 's' }], privileged: false, doc: 'Daemon, volume and guest state as JSON (DaemonStatus).' },
  Plan: { in: [], out: [{ name: 'plan_json', type: 's' }], privileged: false, doc: 'What boot and shutdown would do, and the conflicts, as JSON (Plan); changes nothing.' },
  Unlock: {
    in: [{ name: 'volumes', type: 'as' }],
    out: [{ name: 'requests', type: 'a(ss)' }],
    privileged: true,
    doc: 'Arm a password-agent request for each volume (all locked ones when empty); returns (volume, ask Id) pairs. The passphrase never travels over D-Bus.',
  },
  Lock: {
    in: [{ name: 'volume', type: 's' }, { name: 'stop_guests', type: 'b' }],
    out: [],
    privileged: true,
    longWhen: 'stop_guests',
    doc: 'Close a volume; its running guests are stopped first when stop_guests, else the call is refused.',
  },
  StartGuests: { in: [{ name: 'guests', type: 'as' }], out: [], privileged: true, doc: 'Start gated guests (all autostart guests when empty) now or as soon as their volumes open.' },
  StopGuests: {
    in: [{ name: 'guests', type: 'as' }, { name: 'wait', type: 'b' }],
    out: [],
    privileged: true,
    longWhen: 'wait',
    doc: 'Stop gated guests (all when empty); with wait, return when they are off.',
  },
  Reload: { in: [], out: [], privileged: true, doc: 'Re-read the config file; fails with the problems when it is bad (the old config stays).' },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;

/** The methods in declaration order (the introspection XML lists them so). */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(member: string): member is MethodName {
  return Object.hasOwn(METHODS, member);
}

/** The D-Bus signature of a method's in- or out-arguments, e.g. 'sb'. */
export function signature(args: readonly Arg[]): string {
  return args.map((a) => a.type).join('');
}

export const PROPERTIES: Record<string, { type: string; doc: string }> = {
  Status: { type: 's', doc: 'One line for humans, the same text as the unit STATUS=.' },
  Phase: { type: 's', doc: 'Daemon phase: starting, unlocking, ready or stopping.' },
  Volumes: { type: 's', doc: 'JSON array of VolumeStatus (no secrets).' },
  Guests: { type: 's', doc: 'JSON array of GuestStatus.' },
};

export const SIGNALS: Record<string, { args: Arg[]; doc: string }> = {
  VolumeChanged: { args: [{ name: 'name', type: 's' }, { name: 'state', type: 's' }], doc: 'A volume changed state (waiting-passphrase, open, locked, …).' },
  GuestChanged: { args: [{ name: 'name', type: 's' }, { name: 'state', type: 's' }], doc: 'A guest changed state (running, shut-off, waiting, …).' },
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const desc = (doc: string, indent: string) => `${indent}<annotation name="org.freedesktop.DBus.Description" value="${esc(doc)}"/>\n`;

export function interfaceXml(name: string): string {
  let x = `  <interface name="${name}">\n`;
  for (const m of METHOD_NAMES) {
    const spec: MethodSpec = METHODS[m];
    x += `    <method name="${m}">\n${desc(spec.doc, '      ')}`;
    for (const a of spec.in) x += `      <arg name="${a.name}" type="${a.type}" direction="in"/>\n`;
    for (const a of spec.out) x += `      <arg name="${a.name}" type="${a.type}" direction="out"/>\n`;
    x += '    </method>\n';
  }
  for (const [p, spec] of Object.entries(PROPERTIES)) {
    x += `    <property name="${p}" type="${spec.type}" access="read">\n${desc(spec.doc, '      ')}`;
    x += '      <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="true"/>\n    </property>\n';
  }
  for (const [s, spec] of Object.entries(SIGNALS)) {
    x += `    <signal name="${s}">\n${desc(spec.doc, '      ')}`;
    for (const a of spec.args) x += `      <arg name="${a.name}" type="${a.type}"/>\n`;
    x += '    </signal>\n';
  }
  return x + '  </interface>\n';
}

const STANDARD = `  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="out"/></method>
    <method name="GetAll"><arg name="interface_name" type="s" direction="in"/><arg name="props" type="a{sv}" direction="out"/></method>
    <method name="Set"><arg name="interface_name" type="s" direction="in"/><arg name="property_name" type="s" direction="in"/><arg name="value" type="v" direction="in"/></method>
    <signal name="PropertiesChanged"><arg name="interface_name" type="s"/><arg name="changed_properties" type="a{sv}"/><arg name="invalidated_properties" type="as"/></signal>
  </interface>
`;

/** Full introspection document of the object path. */
export function introspectionXml(iface: string): string {
  return (
    '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
    ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n<node>\n' +
    interfaceXml(iface) +
    STANDARD +
    '</node>\n'
  );
}
