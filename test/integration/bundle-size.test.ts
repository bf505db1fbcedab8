import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { templateFunctions } from '../support/bundles.js';

/**
 * The size target of issue 7, which `npm run bench` measures too (bench/bundles.bench.ts): every bundle `sam
 * build` deploys is at most 400 kB minified. Checked here as well so that CI, which runs no benchmark, fails
 * when a change pushes a bundle over; README's Benchmarks section says what keeps them under.
 */
const MAX_MINIFIED_BYTES = 400_000;

describe('bundle size', () => {
  it.each(templateFunctions())('$name is at most 400 kB minified', (fn) => {
    expect(existsSync(fn.bundlePath), `${fn.bundlePath} is missing: run \`npm run build\` first`).toBe(true);
    expect(statSync(fn.bundlePath).size).toBeLessThanOrEqual(MAX_MINIFIED_BYTES);
  });
});
