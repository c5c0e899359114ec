// Test-only preload for cryptvmd (node --expose-gc --import this): SIGUSR2 runs a full garbage collection,
// so the residue test can scan the daemon's memory before and after one. Not part of any product.
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
});
