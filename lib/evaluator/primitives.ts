/**
 * The privilege-escalation primitives the evaluator looks for: one table, each entry an IAM action that lets its
 * holder give itself (or take over) another principal's power, with the kind of resource it acts on and where it
 * is documented. Adding a primitive is adding a row.
 *
 * Sources:
 * - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation":
 *   https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
 * - Datadog's pathfinding.cloud catalogue of AWS privilege-escalation paths: https://pathfinding.cloud/paths/
 * - NCC Group's PMapper, the IAM edges it draws:
 *   https://github.com/nccgroup/PMapper/blob/master/principalmapper/graphing/iam_edges.py
 * - AWS, permissions boundaries (removing one lifts the ceiling on the principal's own policies):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */

/** The IAM resource type an action is authorized against (its ARN is `arn:<partition>:iam::<account>:<type>/...`). */
export type IamResourceType = 'user' | 'role' | 'group' | 'policy';

export interface EscalationPrimitive {
  /** The action as IAM names it, `iam:` prefix included. */
  readonly action: string;
  readonly resourceType: IamResourceType;
  /**
   * True when the action on the principal's own user gives it nothing it has not got (a new key or password for
   * itself): only grants on other users count, and `${aws:username}` resolves to the principal itself.
   */
  readonly othersOnly: boolean;
  /** Where the method is documented. */
  readonly documented: readonly string[];
}

const RHINO = 'https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/';
const PMAPPER = 'https://github.com/nccgroup/PMapper/blob/master/principalmapper/graphing/iam_edges.py';
const BOUNDARIES = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html';
const path = (id: string) => `https://pathfinding.cloud/paths/${id}`;

export const ESCALATION_PRIMITIVES: readonly EscalationPrimitive[] = [
  {
    action: 'iam:CreatePolicyVersion',
    resourceType: 'policy',
    othersOnly: false,
    documented: [RHINO, path('iam-001'), PMAPPER],
  },
  {
    action: 'iam:SetDefaultPolicyVersion',
    resourceType: 'policy',
    othersOnly: false,
    documented: [RHINO, PMAPPER],
  },
  {
    action: 'iam:CreateAccessKey',
    resourceType: 'user',
    othersOnly: true,
    documented: [RHINO, path('iam-002'), PMAPPER],
  },
  { action: 'iam:CreateLoginProfile', resourceType: 'user', othersOnly: true, documented: [RHINO, PMAPPER] },
  { action: 'iam:UpdateLoginProfile', resourceType: 'user', othersOnly: true, documented: [RHINO, PMAPPER] },
  {
    action: 'iam:AttachUserPolicy',
    resourceType: 'user',
    othersOnly: false,
    documented: [RHINO, path('iam-007'), PMAPPER],
  },
  { action: 'iam:AttachGroupPolicy', resourceType: 'group', othersOnly: false, documented: [RHINO, PMAPPER] },
  { action: 'iam:AttachRolePolicy', resourceType: 'role', othersOnly: false, documented: [RHINO, PMAPPER] },
  { action: 'iam:PutUserPolicy', resourceType: 'user', othersOnly: false, documented: [RHINO, PMAPPER] },
  {
    action: 'iam:PutGroupPolicy',
    resourceType: 'group',
    othersOnly: false,
    documented: [RHINO, path('iam-011'), PMAPPER],
  },
  { action: 'iam:PutRolePolicy', resourceType: 'role', othersOnly: false, documented: [RHINO, PMAPPER] },
  { action: 'iam:AddUserToGroup', resourceType: 'group', othersOnly: false, documented: [RHINO, PMAPPER] },
  {
    action: 'iam:UpdateAssumeRolePolicy',
    resourceType: 'role',
    othersOnly: false,
    documented: [RHINO, PMAPPER],
  },
  {
    action: 'iam:DeleteUserPermissionsBoundary',
    resourceType: 'user',
    othersOnly: false,
    documented: [BOUNDARIES],
  },
  {
    action: 'iam:DeleteRolePermissionsBoundary',
    resourceType: 'role',
    othersOnly: false,
    documented: [BOUNDARIES],
  },
];
