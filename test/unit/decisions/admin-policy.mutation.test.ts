import { describe, expect, it } from 'vitest';
import { isAdministratorAccess } from '../../../lib/decisions/admin-policy.js';

// Edges that mutation testing (docs/mutation-testing.md) found untested.

describe('isAdministratorAccess: more edges', () => {
  it('does not take text ending in the AdministratorAccess ARN for it', () => {
    expect(isAdministratorAccess('xarn:aws:iam::aws:policy/AdministratorAccess')).toBe(false);
    expect(
      isAdministratorAccess('arn:aws:iam::123456789012:policy/arn:aws:iam::aws:policy/AdministratorAccess'),
    ).toBe(false);
  });
});
