// SIGUSR1 must never open the Node.js inspector: by default Node answers it (and `process._debugProcess(pid)`,
// which only sends SIGUSR1) by listening on 127.0.0.1:9229, where any local user could then run code as root
// inside a process that holds volume keys. A JavaScript listener replaces that default on Node 18, 20 and 22
// (checked on 18.19.1, 20.20 and 22.23; `--disable-sigusr1` exists only from 22.14, so it cannot be relied on).
// Both entry points import this module first, so the listener is in place before any other module of the
// bundle runs; the window before that is Node's own start-up. Never remove the listener: without one, Node's
// default comes back.
let action: () => void = () => undefined;

process.on('SIGUSR1', () => {
  try {
    action();
  } catch {
    // A status dump must not take the process down.
  }
});

/** What SIGUSR1 does instead (the daemon logs its status); the default is nothing. */
export function onSigusr1(fn: () => void): void {
  action = fn;
}
