// Injected by the bundler (scripts/bundle.mjs); 'dev' when running from source.
declare const __CRYPTVM_VERSION__: string | undefined;
export const VERSION: string = typeof __CRYPTVM_VERSION__ === 'string' ? __CRYPTVM_VERSION__ : 'dev';
