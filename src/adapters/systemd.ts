// Questions for systemd over the system bus (no spawn): is a unit active, and what job is running on it.
// The job type tells an explicit stop (stop the guests, close the volumes) from a restart (keep everything).
import dbus from 'dbus-next';
import { CryptvmError } from '../errors.js';

const DEST = 'org.freedesktop.systemd1';
const CALL_TIMEOUT_MS = 5_000;

export type StopIntent = 'stop' | 'restart' | 'unknown';

export class SystemdUnits {
  constructor(private readonly bus: dbus.MessageBus) {}

  private async call(path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    const msg = new dbus.Message({ destination: DEST, path, interface: iface, member, signature, body });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CryptvmError('Timeout', `systemd did not answer ${iface}.${member} within ${CALL_TIMEOUT_MS / 1000}s`)), CALL_TIMEOUT_MS);
    });
    try {
      const reply = await Promise.race([this.bus.call(msg), timeout]);
      return reply?.body ?? [];
    } finally {
      clearTimeout(timer);
    }
  }

  private async unitPath(unit: string): Promise<string | undefined> {
    try {
      const [path] = await this.call('/org/freedesktop/systemd1', `${DEST}.Manager`, 'GetUnit', 's', [unit]);
      return path as string;
    } catch (e) {
      if ((e as { type?: string }).type === `${DEST}.NoSuchUnit`) return undefined; // not loaded: inactive
      throw e;
    }
  }

  private async prop(path: string, iface: string, name: string): Promise<unknown> {
    const [v] = await this.call(path, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [iface, name]);
    return (v as dbus.Variant).value;
  }

  /** 'active', 'inactive', 'activating', 'deactivating', 'failed', … ('inactive' when not loaded). */
  async activeState(unit: string): Promise<string> {
    const path = await this.unitPath(unit);
    return path ? String(await this.prop(path, `${DEST}.Unit`, 'ActiveState')) : 'inactive';
  }

  /** The type of the job queued or running on the unit ('stop', 'restart', 'start', …), undefined if none. */
  async jobType(unit: string): Promise<string | undefined> {
    const path = await this.unitPath(unit);
    if (!path) return undefined;
    const job = (await this.prop(path, `${DEST}.Unit`, 'Job')) as [number, string];
    if (!job || job[0] === 0 || job[1] === '/') return undefined;
    return String(await this.prop(job[1], `${DEST}.Job`, 'JobType'));
  }

  /** Why we are being stopped. A restart job, or anything we cannot tell, keeps guests and volumes. */
  async stopIntent(unit: string): Promise<StopIntent> {
    const type = await this.jobType(unit);
    if (type === 'stop') return 'stop';
    if (type === 'restart' || type === 'try-restart' || type === 'reload-or-restart') return 'restart';
    return 'unknown';
  }
}
