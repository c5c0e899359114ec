// Names from the file end up as operands of cryptsetup, dmsetup, virsh and systemd-mount, in the journal and on
// the console prompt. A leading "-" would read as an option to a program that does not take "--"; control
// characters (newline, ESC, DEL, C1) forge journal lines or drive the terminal; U+2028/U+2029 break lines too.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why `name` cannot be used as a name, or undefined when it can. */
export function unsafeName(name: string): string | undefined {
  if (name.startsWith('-')) return 'starts with "-" (it would read as an option)';
  const c = CONTROL.exec(name);
  if (c) return `contains the control character U+${c[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
  return undefined;
}
