// Mutation testing of the decision code: `npm run test:mutation` (see docs/mutation-testing.md).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'lib/decisions/**/*.ts',
    // The policy evaluator (lib/evaluator, design.md "Admin-equivalence is one pure evaluator") goes here when it
    // lands, with the same 95% target as lib/decisions.
    'lib/pattern.ts',
    'lib/event.ts',
    'lib/config.ts',
    'lib/credential-report.ts',
  ],
  // A rerun only tests the mutants whose code or covering tests changed since the last run.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  ignorePatterns: ['dist', '.aws-sam', '.bench', 'coverage', 'reports'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
