// What each D-Bus method means in DaemonControl's terms, on both ends: the CLI's client calls ApiCalls and
// the service answers with DaemonControl, and the values between them and the message bodies (JSON for
// GetStatus and Plan, (volume, ask Id) pairs for Unlock) are converted here, in one place.
import type { DaemonControl, DaemonStatus, Plan, UnlockTicket } from '../api/types.js';
import type { MethodName } from './members.js';
import type { In, Out } from './wire-types.js';

/**
 * The API as a client calls it: DaemonControl without the in-process change listener, and with status()
 * (synchronous in the daemon) as the GetStatus call. Each call is the D-Bus method of the same name in
 * lowerCamelCase (Unlock → unlock, GetStatus → getStatus).
 */
export type ApiCalls = Omit<DaemonControl, 'status' | 'onChange'> & { getStatus(): Promise<DaemonStatus> };

/** The client call that method M is. */
export type CallOf<M extends MethodName> = ApiCalls[Uncapitalize<M>];
/** What that call resolves with. */
export type Result<M extends MethodName> = Awaited<ReturnType<CallOf<M>>>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** A method on the bus for every call and a call for every method. */
export type NamesMatch = Assert<Same<Uncapitalize<MethodName>, keyof ApiCalls>>;
/** The calls take exactly the arguments of their D-Bus signatures (string[] for 'as', boolean for 'b'), so they pass as they are. */
export type ArgsMatch = Assert<Same<{ [M in MethodName]: Same<Parameters<CallOf<M>>, In<M>> }[MethodName], true>>;

export interface Codec<M extends MethodName> {
  /** Service: the call's result as the reply's body. */
  encode(result: Result<M>): Out<M>;
  /** Client: the reply's body as the call's result. */
  decode(body: Out<M>): Result<M>;
}

const none = { encode: () => [] as [], decode: () => undefined };

/**
 * JSON in one string. The shapes come from src/api/types.ts; decoding trusts the daemon (the bus policy lets
 * only root own the name) and takes the shape as it is, so the client carries fields it does not know yet.
 */
function json<T>(): { encode(v: T): [string]; decode(body: [string]): T } {
  return { encode: (v) => [JSON.stringify(v)], decode: ([s]) => JSON.parse(s) as T };
}

export const CODECS: { [M in MethodName]: Codec<M> } = {
  GetStatus: json<DaemonStatus>(),
  Plan: json<Plan>(),
  Unlock: {
    encode: (tickets: UnlockTicket[]) => [tickets.map((t): [string, string] => [t.volume, t.askId])],
    decode: ([pairs]) => pairs.map(([volume, askId]) => ({ volume, askId })),
  },
  Lock: none,
  StartGuests: none,
  StopGuests: none,
  Reload: none,
};

/** The call's name for a D-Bus method (GetStatus → getStatus). */
export function callName<M extends MethodName>(m: M): Uncapitalize<M> {
  return (m.charAt(0).toLowerCase() + m.slice(1)) as Uncapitalize<M>;
}
