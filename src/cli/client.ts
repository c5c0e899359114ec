// The CLI's side of the D-Bus API: one call per method declared in src/dbus/members.ts (name, signature,
// timeout), its result decoded by src/dbus/codec.ts, each with a timeout (dbus-next has none), and bus errors
// turned into messages a person can act on (never a raw D-Bus error).
import { Message, systemBus, type MessageBus } from 'dbus-next';
import { CryptvmError, type ErrorCode } from '../errors.js';
import { callName, CODECS, type ApiCalls, type CallOf } from '../dbus/codec.js';
import { DEFAULT_CALL_TIMEOUT_MS, LONG_CALL_TIMEOUT_MS, METHOD_NAMES, METHODS, signature, type MethodName, type MethodSpec } from '../dbus/members.js';
import { BUS_NAME, ERROR_PREFIX, INTERFACE, OBJECT_PATH } from '../dbus/names.js';
import { withTimeout } from '../dbus/timeout.js';
import type { In, Out } from '../dbus/wire-types.js';

/** DaemonControl's calls over the bus (ApiCalls), and the connection's end. */
export type ApiClient = ApiCalls & { close(): void };

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

type Send = (member: MethodName, args: unknown[], timeoutMs: number | undefined) => Promise<unknown[]>;

/** The client call of method M: its arguments go as they are (codec.ts checks they match the signature). */
function bind<M extends MethodName>(member: M, send: Send): CallOf<M> {
  const spec: MethodSpec = METHODS[member];
  const long = spec.longWhen === undefined ? -1 : spec.in.findIndex((a) => a.name === spec.longWhen);
  const call = async (...args: In<M>) => CODECS[member].decode((await send(member, args, args[long] === true ? LONG_CALL_TIMEOUT_MS : undefined)) as Out<M>);
  return call as unknown as CallOf<M>;
}

export function connectApi(options: ClientOptions): ApiClient {
  const own = options.bus === undefined;
  const bus = options.bus ?? systemBus();
  // A missing or refused bus socket surfaces as an 'error' event, not as a rejected call: fail pending calls.
  let connError: ((e: unknown) => void) | undefined;
  const broken = new Promise<never>((_, reject) => (connError = reject));
  broken.catch(() => undefined);
  bus.on('error', (e: unknown) => connError?.(e));

  const send: Send = async (member, body, timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) => {
    const spec: MethodSpec = METHODS[member];
    const msg = new Message({ destination: BUS_NAME, path: OBJECT_PATH, interface: INTERFACE, member, signature: signature(spec.in), body });
    let reply: Message | null;
    try {
      reply = await withTimeout(Promise.race([bus.call(msg), broken]), timeoutMs, `cryptvmd (${member})`);
    } catch (e) {
      throw await translate(e, member, options.unitState);
    }
    const got = reply?.signature ?? '';
    if (got !== signature(spec.out)) throw new CryptvmError('Failed', `cryptvmd answered ${member} with "${got}" instead of "${signature(spec.out)}": is the daemon the same version as this cryptvm?`);
    return reply?.body ?? [];
  };

  const calls = Object.fromEntries(METHOD_NAMES.map((m) => [callName(m), bind(m, send)])) as unknown as ApiCalls;
  return {
    ...calls,
    close: () => {
      if (own) bus.disconnect();
    },
  };
}
