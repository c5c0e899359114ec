// Method calls on our object, handled before dbus-next's own dispatcher: we need the sender (for the uid
// check on every state-changing method) and every reply must be a named error, never a JS stack.
import { Message, MessageFlag, type MessageBus } from 'dbus-next';
import type { DaemonControl } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import { ev } from '../log/events.js';
import { apiError, isExpected, toNamedError } from './errors.js';
import { CODECS, type Result } from './codec.js';
import { introspectionXml, isMethodName, METHODS, signature, type MethodName, type MethodSpec } from './members.js';
import { INTERFACE, OBJECT_PATH } from './names.js';
import { withTimeout } from './timeout.js';
import { checkGuests, checkVolumes } from './validate.js';
import type { In } from './wire-types.js';

/** A method's handler: the call's body typed by its D-Bus signature, the result typed by DaemonControl. */
export type Impl<M extends MethodName> = (control: DaemonControl, args: In<M>) => Promise<Result<M>>;
/** One handler per declared method and none other: a missing or extra one does not compile. */
export type ImplTable = { [M in MethodName]: Impl<M> };

export const IMPL: ImplTable = {
  GetStatus: async (c) => c.status(),
  Plan: async (c) => c.plan(),
  Unlock: async (c, [vols]) => c.unlock(checkVolumes(c.status(), vols)),
  Lock: async (c, [vol, stop]) => {
    const [name] = checkVolumes(c.status(), [vol]);
    await c.lock(name ?? vol, stop);
  },
  StartGuests: async (c, [guests]) => c.startGuests(checkGuests(c.status(), guests)),
  StopGuests: async (c, [guests, wait]) => c.stopGuests(checkGuests(c.status(), guests), wait),
  Reload: async (c) => c.reload(),
};

/** Runs M's handler on a body that passed the signature check, and encodes its result as the reply body. */
async function invoke<M extends MethodName>(member: M, control: DaemonControl, body: unknown[]): Promise<unknown[]> {
  const impl: Impl<M> = IMPL[member];
  return CODECS[member].encode(await impl(control, body as In<M>));
}

async function callerUid(bus: MessageBus, sender: string): Promise<number> {
  const call = bus.call(
    new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetConnectionUnixUser', signature: 's', body: [sender] }),
  );
  const reply = await withTimeout(call, 5_000, 'the bus (GetConnectionUnixUser)');
  return Number(reply?.body[0]);
}

export function createDispatcher(bus: MessageBus, control: DaemonControl, log: Logger): (msg: Message) => boolean {
  const reply = (msg: Message, m: Message) => {
    if (!(msg.flags & MessageFlag.NO_REPLY_EXPECTED)) bus.send(m);
  };
  const fail = (msg: Message, e: unknown) => {
    const { name, message } = toNamedError(e);
    reply(msg, Message.newError(msg as unknown as string, name, message));
  };

  async function run(msg: Message, member: MethodName, spec: MethodSpec): Promise<void> {
    try {
      if (spec.privileged) {
        const uid = await callerUid(bus, msg.sender);
        if (uid !== 0) throw apiError('AccessDenied', `${member} changes the host's state and is allowed to root only (caller uid ${uid}); run it with sudo`);
        log.info({ method: member, uid, args: msg.body }, `D-Bus ${member} called`);
      }
      const body = await invoke(member, control, msg.body);
      reply(msg, Message.newMethodReturn(msg, signature(spec.out), body));
    } catch (e) {
      if (isExpected(e)) log.info(ev('api-refused', { method: member, err: (e as Error).message }), `D-Bus ${member} refused`);
      else log.error({ method: member, err: e }, `D-Bus ${member} failed unexpectedly`);
      fail(msg, e);
    }
  }

  return (msg: Message): boolean => {
    if (msg.path !== OBJECT_PATH) return false;
    if (msg.interface === 'org.freedesktop.DBus.Introspectable' && msg.member === 'Introspect') {
      reply(msg, Message.newMethodReturn(msg, 's', [introspectionXml(INTERFACE)]));
      return true;
    }
    // The interface field is optional in a method call; an unknown member falls through to UnknownMethod.
    if (msg.interface !== undefined && msg.interface !== null && msg.interface !== INTERFACE) return false;
    const member = msg.member;
    if (!isMethodName(member)) return false;
    const spec: MethodSpec = METHODS[member];
    const expected = signature(spec.in);
    if ((msg.signature || '') !== expected) {
      fail(msg, apiError('InvalidArgs', `${msg.member} takes arguments of type "${expected}", got "${msg.signature || ''}"`));
      return true;
    }
    void run(msg, member, spec);
    return true;
  };
}
