// Errors carry what they are about (volume or guest), the escaped command, its exit code and the cause.
// Functions either return/throw these or log them, never both.

export interface ErrorContext {
  volume?: string;
  guest?: string;
  command?: string;
  exitCode?: number;
  cause?: unknown;
}

export class CryptvmError extends Error {
  override name = 'CryptvmError';
  readonly volume: string | undefined;
  readonly guest: string | undefined;
  readonly command: string | undefined;
  readonly exitCode: number | undefined;

  constructor(
    /** Stable machine-readable kind, also used for D-Bus error names (org.cryptvm.Error.<Code>). */
    readonly code: ErrorCode,
    message: string,
    context: ErrorContext = {},
  ) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.volume = context.volume;
    this.guest = context.guest;
    this.command = context.command;
    this.exitCode = context.exitCode;
  }
}

export type ErrorCode =
  | 'BadPassphrase'
  | 'NotLuks'
  | 'WrongDevice'
  | 'DeviceNotFound'
  | 'Busy'
  | 'MappingConflict'
  | 'Config'
  | 'KeySource'
  | 'Cancelled'
  | 'Timeout'
  | 'NotFound'
  | 'AccessDenied'
  | 'InvalidArgs'
  | 'Libvirt'
  | 'Failed';

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
