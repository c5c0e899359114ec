// The exported object: properties and signals through dbus-next's Interface (configureMembers, no
// decorators). Methods are dispatched by dispatch.ts, which needs the sender and full control over errors.
import { DBusError, interface as dbusInterface } from 'dbus-next';
import type { DaemonControl, DaemonStatus } from '../api/types.js';
import { PROPERTIES, SIGNALS } from './members.js';
import { ERROR_PREFIX, INTERFACE } from './names.js';

const { Interface } = dbusInterface;

export class ManagerInterface extends Interface {
  constructor(private readonly control: DaemonControl) {
    super(INTERFACE);
  }

  // A throwing getter would send dbus-next's stack trace to the caller: return a named error instead.
  private read<T>(f: (s: DaemonStatus) => T): T | DBusError {
    try {
      return f(this.control.status());
    } catch {
      return new DBusError(`${ERROR_PREFIX}Failed`, 'status is not available; see journalctl -u cryptvm');
    }
  }

  get Status() {
    return this.read((s) => s.status);
  }
  get Phase() {
    return this.read((s) => s.phase);
  }
  get Volumes() {
    return this.read((s) => JSON.stringify(s.volumes));
  }
  get Guests() {
    return this.read((s) => JSON.stringify(s.guests));
  }

  // Signals: configureMembers wraps these so that calling them emits the returned values.
  VolumeChanged(name: string, state: string): string[] {
    return [name, state];
  }
  GuestChanged(name: string, state: string): string[] {
    return [name, state];
  }
}

ManagerInterface.configureMembers({
  properties: Object.fromEntries(Object.entries(PROPERTIES).map(([k, p]) => [k, { signature: p.type, access: 'read' as const }])),
  signals: Object.fromEntries(Object.entries(SIGNALS).map(([k, s]) => [k, { signature: s.args.map((a) => a.type).join('') }])),
});
