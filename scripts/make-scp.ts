/**
 * Writes the service control policy that protects an iam-warden deployment (scp/iam-warden-protect.json, see
 * scp/README.md) for one stack, its administrators and its exemption tag, minified, to standard output:
 *
 *   npx tsx scripts/make-scp.ts --stack-name iam-warden --admin <principal ARN> [--admin ...] \
 *     [--exempt-tag-key iam-warden:exempt] [--partition aws] > iam-warden-scp.json
 *
 * Fails (exit 2, nothing written) on a value that would make the policy protect nothing or everyone, or when it
 * would not fit the 5,120 bytes Organizations allows an SCP.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** AWS Organizations' limit on an SCP document, white space included. */
export const SCP_MAX_BYTES = 5120;

export const SCP_FILE = new URL('../scp/iam-warden-protect.json', import.meta.url);

export interface ScpOptions {
  /** The CloudFormation stack iam-warden is deployed as: its resources' generated names begin `<stack>-`. */
  readonly stackName: string;
  /** Who may still change iam-warden: `aws:PrincipalArn` patterns (role ARNs without the session, user ARNs). */
  readonly adminPrincipalArns: readonly string[];
  /** The deployment's `ExemptTagKey`; without it the tag statement is left out. */
  readonly exemptTagKey?: string | undefined;
  /** `aws` unless the organization is in aws-cn or aws-us-gov. */
  readonly partition?: string | undefined;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly ({ readonly Sid: string } & Record<string, Json>)[];
}

const ADMINS = '<ADMIN_PRINCIPAL_ARN>';
const TAG_STATEMENT = 'ProtectExemptionTag';

/** CloudFormation stack names: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const PARTITION = /^aws(?:-[a-z]+)*$/;
/** IAM tag keys: https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

function principalPattern(partition: string): RegExp {
  // A user or role ARN (wildcards allowed after the account, as ArnLike matches), or an account's root.
  return new RegExp(`^arn:${partition}:iam::(?:\\d{12}|\\*):(?:root|(?:user|role)/\\S+)$`);
}

/** Why the options cannot make a sound policy, or nothing. */
function problemWith(options: ScpOptions, partition: string): string | undefined {
  if (!STACK_NAME.test(options.stackName))
    return `--stack-name ${options.stackName}: not a CloudFormation stack name`;
  if (!PARTITION.test(partition))
    return `--partition ${partition}: not a partition (aws, aws-cn, aws-us-gov)`;
  if (options.adminPrincipalArns.length === 0) {
    return '--admin: name at least one administrator, or nobody could update or delete iam-warden';
  }
  const pattern = principalPattern(partition);
  for (const arn of options.adminPrincipalArns) {
    // "*" or an account-wide wildcard would exempt everyone the SCP is meant to stop.
    if (!pattern.test(arn) || /:role\/\*$|:user\/\*$/.test(arn)) {
      return `--admin ${arn}: give a user or role ARN in ${partition} (arn:${partition}:iam::<account>:role/NAME); wildcards only within a name`;
    }
  }
  if (options.exemptTagKey !== undefined && !TAG_KEY.test(options.exemptTagKey)) {
    return `--exempt-tag-key ${options.exemptTagKey}: not an IAM tag key`;
  }
  return undefined;
}

function fill(value: Json, options: ScpOptions, partition: string): Json {
  if (typeof value === 'string') {
    return value
      .replaceAll('<PARTITION>', partition)
      .replaceAll('<STACK_NAME>', options.stackName)
      .replaceAll('<EXEMPT_TAG_KEY>', options.exemptTagKey ?? '');
  }
  if (Array.isArray(value)) {
    return value.flatMap((item) =>
      item === ADMINS ? [...options.adminPrincipalArns] : [fill(item, options, partition)],
    );
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fill(item, options, partition)]),
    );
  }
  return value;
}

/**
 * The SCP for one deployment: scp/iam-warden-protect.json with its placeholders filled. Throws an `Error` naming
 * the option when a value would make the policy unsound.
 */
export function renderScp(options: ScpOptions, template = readFileSync(SCP_FILE, 'utf8')): PolicyDocument {
  const partition = options.partition ?? 'aws';
  const problem = problemWith(options, partition);
  if (problem !== undefined) throw new Error(problem);
  const policy = fill(JSON.parse(template) as Json, options, partition) as unknown as PolicyDocument;
  const statements = policy.Statement.filter(
    (statement) => options.exemptTagKey !== undefined || statement.Sid !== TAG_STATEMENT,
  );
  const rendered = { ...policy, Statement: statements };
  const left = /<[A-Z_]+>/.exec(JSON.stringify(rendered));
  if (left !== null) throw new Error(`scp/iam-warden-protect.json: placeholder ${left[0]} is not filled`);
  return rendered;
}

/** The policy as Organizations takes it: minified. Throws when it exceeds `SCP_MAX_BYTES`. */
export function scpText(policy: PolicyDocument): string {
  const text = JSON.stringify(policy);
  const bytes = Buffer.byteLength(text);
  if (bytes > SCP_MAX_BYTES) {
    throw new Error(
      `the policy is ${bytes} bytes, over the ${SCP_MAX_BYTES} an SCP may hold: name fewer administrators (a role pattern, or a wildcard within a name)`,
    );
  }
  return text;
}

function main(): void {
  try {
    const { values } = parseArgs({
      options: {
        'stack-name': { type: 'string' },
        admin: { type: 'string', multiple: true },
        'exempt-tag-key': { type: 'string' },
        partition: { type: 'string' },
      },
      strict: true,
    });
    if (values['stack-name'] === undefined) throw new Error('--stack-name: required');
    const policy = renderScp({
      stackName: values['stack-name'],
      adminPrincipalArns: values.admin ?? [],
      exemptTagKey: values['exempt-tag-key'],
      partition: values.partition,
    });
    process.stdout.write(`${scpText(policy)}\n`);
  } catch (error) {
    process.stderr.write(`make-scp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
