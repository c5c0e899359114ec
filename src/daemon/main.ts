// cryptvmd entry point (composition root) — filled in by the daemon work.
console.error('cryptvmd: not built yet');
process.exit(1);
