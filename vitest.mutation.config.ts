import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.js';

// Stryker runs the unit tests only: the integration tests need moto_server and take minutes, and the mutated
// modules are pure, so the unit tests are where their behaviour has to be pinned down. The property tests are
// left out too: their inputs are random on each run, so a mutant they kill in one run may survive the next
// (scores and incremental results would drift), and they take about 25 s for every mutant they cover.
export default defineConfig({
  test: { ...unitProject.test, exclude: ['test/unit/fuzz.test.ts'] },
});
