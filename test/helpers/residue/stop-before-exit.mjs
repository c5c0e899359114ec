// Test-only preload for cryptvm (node --import this): process.exit first stops the process (SIGSTOP), so the
// residue test can scan its memory at the very end, then continues it with SIGCONT. Not part of any product.
const exit = process.exit.bind(process);
process.exit = (code) => {
  process.kill(process.pid, 'SIGSTOP');
  return exit(code);
};
