import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** The unit tests: also the only tests mutation testing runs (vitest.mutation.config.ts). */
export const unitProject = {
  test: {
    name: 'unit',
    include: ['test/unit/**/*.test.ts'],
    setupFiles: ['test/support/setup-matchers.ts'],
  },
} satisfies TestProjectInlineConfiguration;

export default defineConfig({
  test: {
    projects: [
      unitProject,
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
