// Shell-style quoting for messages only (the command is never run through a shell).
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quoteArg(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function quoteCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map(quoteArg).join(' ');
}
