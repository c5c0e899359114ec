// cryptvm CLI entry point — filled in by the CLI work.
console.error('cryptvm: not built yet');
process.exit(1);
