// The TypeScript types of D-Bus signatures, as dbus-next encodes and decodes message bodies: the types of a
// method's arguments and results follow from its declaration in members.ts. Only the signatures the API
// uses are spelled out; any other resolves to `never`, so a new one fails to compile until it is added here.
import type { Arg, METHODS, MethodName } from './members.js';

interface Basic {
  s: string;
  o: string;
  g: string;
  b: boolean;
  u: number;
  i: number;
}

/** A struct of basic types, e.g. 'ss' in a(ss). */
type Struct<S extends string> = S extends `${infer C}${infer Rest}` ? (C extends keyof Basic ? [Basic[C], ...Struct<Rest>] : [never]) : [];

/** One complete type: a basic type, an array of one, or an array of structs of them. */
export type Wire<S extends string> = S extends keyof Basic
  ? Basic[S]
  : S extends `a(${infer Inner})`
    ? Struct<Inner>[]
    : S extends `a${infer E extends keyof Basic}`
      ? Basic[E][]
      : never;

/** A body: one value per declared argument, in order. */
export type Body<A extends readonly Arg[]> = { -readonly [K in keyof A]: A[K] extends { type: infer T extends string } ? Wire<T> : never };

/** The body of a call of method M (what the service receives after its signature check). */
export type In<M extends MethodName> = Body<(typeof METHODS)[M]['in']>;
/** The body of the reply to method M. */
export type Out<M extends MethodName> = Body<(typeof METHODS)[M]['out']>;
