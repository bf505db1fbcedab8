import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.js';

// Stryker runs the unit tests only: the integration tests need moto_server and take minutes, and the mutated
// modules are pure, so the unit tests are where their behaviour has to be pinned down.
export default defineConfig({ test: unitProject.test });
