// The CLI's side of the D-Bus API: one typed call per method, each with a timeout (dbus-next has none),
// and bus errors turned into messages a person can act on (never a raw D-Bus error).
import { Message, systemBus, type MessageBus } from 'dbus-next';
import type { DaemonStatus, Plan, UnlockTicket } from '../api/types.js';
import { CryptvmError, type ErrorCode } from '../errors.js';
import { BUS_NAME, ERROR_PREFIX, INTERFACE, OBJECT_PATH } from '../dbus/names.js';
import { withTimeout } from '../dbus/timeout.js';

export const DEFAULT_CALL_TIMEOUT_MS = 25_000;
/** StopGuests --wait: the daemon waits for ACPI shutdowns (per-guest timeouts, then destroy/save). */
export const LONG_CALL_TIMEOUT_MS = 30 * 60_000;

export interface ApiClient {
  getStatus(): Promise<DaemonStatus>;
  plan(): Promise<Plan>;
  unlock(volumes: string[]): Promise<UnlockTicket[]>;
  lock(volume: string, stopGuests: boolean): Promise<void>;
  startGuests(guests: string[]): Promise<void>;
  stopGuests(guests: string[], wait: boolean): Promise<void>;
  reload(): Promise<void>;
  close(): void;
}

export interface ClientOptions {
  /** A connected bus (tests); default: the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured). */
  bus?: MessageBus;
  timeoutMs?: number;
  /** `systemctl is-active cryptvm` for the "not running" message. */
  unitState: () => Promise<string>;
}

const NOT_RUNNING = ['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner'];

async function translate(e: unknown, method: string, unitState: () => Promise<string>): Promise<Error> {
  const type = (e as { type?: unknown }).type;
  if (typeof type !== 'string') return e instanceof CryptvmError ? e : new CryptvmError('Failed', `cannot reach the system bus: ${(e as Error).message}; is dbus running?`, { cause: e });
  if (NOT_RUNNING.includes(type)) {
    const state = await unitState().catch(() => 'unknown');
    return new CryptvmError('NotFound', `cryptvmd is not running (cryptvm.service is ${state}) — start it with: systemctl start cryptvm`, { cause: e });
  }
  if (type === 'org.freedesktop.DBus.Error.AccessDenied') {
    return new CryptvmError('AccessDenied', `permission denied: ${method} is for root only (bus policy); run it with sudo`, { cause: e });
  }
  const text = String((e as { text?: unknown }).text ?? '');
  if (type.startsWith(ERROR_PREFIX)) return new CryptvmError(type.slice(ERROR_PREFIX.length) as ErrorCode, text, { cause: e });
  return new CryptvmError('Failed', `${method} failed: ${text || type}`, { cause: e });
}

export function connectApi(options: ClientOptions): ApiClient {
  const own = options.bus === undefined;
  const bus = options.bus ?? systemBus();
  // A missing or refused bus socket surfaces as an 'error' event, not as a rejected call: fail pending calls.
  let connError: ((e: unknown) => void) | undefined;
  const broken = new Promise<never>((_, reject) => (connError = reject));
  broken.catch(() => undefined);
  bus.on('error', (e: unknown) => connError?.(e));

  async function call(member: string, signature: string, body: unknown[], timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS): Promise<unknown[]> {
    const msg = new Message({ destination: BUS_NAME, path: OBJECT_PATH, interface: INTERFACE, member, signature, body });
    try {
      const reply = await withTimeout(Promise.race([bus.call(msg), broken]), timeoutMs, `cryptvmd (${member})`);
      return reply?.body ?? [];
    } catch (e) {
      throw await translate(e, member, options.unitState);
    }
  }

  return {
    getStatus: async () => JSON.parse(String((await call('GetStatus', '', []))[0])) as DaemonStatus,
    plan: async () => JSON.parse(String((await call('Plan', '', []))[0])) as Plan,
    unlock: async (volumes) => ((await call('Unlock', 'as', [volumes]))[0] as [string, string][]).map(([volume, askId]) => ({ volume, askId })),
    lock: async (volume, stopGuests) => void (await call('Lock', 'sb', [volume, stopGuests], stopGuests ? LONG_CALL_TIMEOUT_MS : undefined)),
    startGuests: async (guests) => void (await call('StartGuests', 'as', [guests])),
    stopGuests: async (guests, wait) => void (await call('StopGuests', 'asb', [guests, wait], wait ? LONG_CALL_TIMEOUT_MS : undefined)),
    reload: async () => void (await call('Reload', '', [])),
    close: () => {
      if (own) bus.disconnect();
    },
  };
}
