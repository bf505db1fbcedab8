import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/setup-matchers.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/support/setup-matchers.ts'],
          globalSetup: ['test/support/moto-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One moto_server is shared by the whole integration project and reset between files.
          fileParallelism: false,
        },
      },
    ],
  },
});
