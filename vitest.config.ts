import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (pure code, stateful fakes) and integration tests that drive real programs
// (cryptsetup on LUKS files, systemd-ask-password, libvirtd, dbus-daemon). The lab VM runs separately
// (`npm run test:system`), since it needs minutes, not seconds.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real cryptsetup runs use both cores for PBKDF; running files in parallel only adds noise.
          fileParallelism: false,
        },
      },
    ],
  },
});
