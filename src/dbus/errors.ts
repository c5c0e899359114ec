// Every failure leaving the service is a named D-Bus error: a CryptvmError keeps its code and message
// (they are written for users and never carry secrets); anything else becomes a generic Failed, because
// dbus-next would otherwise send the JS stack to the caller.
import { CryptvmError, type ErrorCode } from '../errors.js';
import { ERROR_PREFIX } from './names.js';

export interface NamedError {
  name: string;
  message: string;
}

export function apiError(code: ErrorCode, message: string): CryptvmError {
  return new CryptvmError(code, message);
}

export function toNamedError(e: unknown): NamedError {
  if (e instanceof CryptvmError) return { name: ERROR_PREFIX + e.code, message: e.message };
  return { name: `${ERROR_PREFIX}Failed`, message: 'internal error in cryptvmd; see journalctl -u cryptvm for details' };
}

/** True when the error is one we expect and name (logged at info), not a bug (logged with its stack). */
export function isExpected(e: unknown): boolean {
  return e instanceof CryptvmError;
}
