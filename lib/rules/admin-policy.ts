import * as z from 'zod/mini';
import { decideAdminPolicy } from '../decisions/admin-policy.js';
import { iamName, readParameters } from '../event.js';
import { describeRole, GONE, readLive } from '../iam.js';
import type { Rule } from './rule.js';

const params = z.object({
  roleName: iamName(64),
  policyArn: z.string().check(z.minLength(1)),
});

/** Detach AdministratorAccess from roles that are not designated admin roles. */
export const adminPolicyRule: Rule<z.infer<typeof params>> = {
  name: 'admin-policy',
  eventNames: ['AttachRolePolicy'],

  target(change) {
    const target = readParameters(change, params);
    return { resource: { type: 'role', name: target.roleName }, target };
  },

  async evaluate(deps, target) {
    const role = await readLive(deps, () => describeRole(deps.iam, target.roleName));
    if (role === GONE) return undefined;
    return decideAdminPolicy({
      role,
      policyArn: target.policyArn,
      attachedPolicyArns: role.attachedPolicyArns,
      adminRolePatterns: deps.config.adminRolePatterns,
    });
  },
};
