/**
 * CloudFormation as the template tests and benchmarks see it: the SAM template transformed by the real
 * AWS SAM translator (scripts/sam-transform.py, offline), and a small evaluator of the intrinsics the
 * template uses (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`, `Fn::Equals`, `Fn::Not`, `Fn::And`,
 * `Fn::Or`, `Fn::Contains`, `Fn::Select`, `Fn::Split`) for one fixed partition, region, account and set of
 * parameter values. Unknown intrinsics throw, so a template that outgrows the evaluator says so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadTemplate } from '../../lib/template.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CfnResource {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Default?: Json; readonly Type?: string }>;
  readonly Conditions?: Record<string, Json>;
  readonly Rules?: Record<
    string,
    { readonly RuleCondition?: Json; readonly Assertions: { Assert: Json; AssertDescription?: string }[] }
  >;
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, Json>;
}

const SCRIPT = fileURLToPath(new URL('../../scripts/sam-transform.py', import.meta.url));

/**
 * Transform a SAM template (the repository's by default, or any template object, e.g. a mutated copy)
 * into plain CloudFormation with the AWS SAM translator, as CloudFormation does at deploy time.
 */
export function samTransform(
  template: unknown = loadTemplate(),
  parameters: Readonly<Record<string, string>> = {},
): CfnTemplate {
  const args = [SCRIPT, ...Object.entries(parameters).map(([name, value]) => `--parameter=${name}=${value}`)];
  const output = execFileSync('python3', args, {
    // JSON is YAML: the translator's parser reads it, with intrinsics in their long form.
    input: JSON.stringify(template),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as CfnTemplate;
}

/** `samTransform` in a child process of its own, so several templates can be transformed at once. */
export function samTransformAsync(
  template: unknown,
  parameters: Readonly<Record<string, string>> = {},
): Promise<CfnTemplate> {
  const args = [SCRIPT, ...Object.entries(parameters).map(([name, value]) => `--parameter=${name}=${value}`)];
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as CfnTemplate);
      else reject(new Error(`sam-transform exited ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(JSON.stringify(template));
  });
}

/** Where a template is evaluated: one partition, region, account and stack, plus parameter values. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Parameter values; parameters not named here take their `Default`. */
  readonly parameters?: Readonly<Record<string, string>>;
}

export const DEFAULT_SCOPE: Scope = {
  partition: 'aws',
  region: 'us-east-1',
  accountId: '123456789012',
  stackName: 'iam-warden',
};

/** Marks `Ref: AWS::NoValue`: dropped from the lists and objects that contain it. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Evaluates a template's intrinsics in one scope. */
export class Evaluator {
  private readonly parameters: Record<string, string>;
  private readonly conditionCache = new Map<string, boolean>();

  constructor(
    readonly template: CfnTemplate,
    readonly scope: Scope = DEFAULT_SCOPE,
  ) {
    const defaults = Object.fromEntries(
      Object.entries(template.Parameters ?? {}).map(([name, p]) => [name, String(p.Default ?? '')]),
    );
    this.parameters = { ...defaults, ...scope.parameters };
  }

  /** A value with every intrinsic replaced by what CloudFormation would make of it. */
  resolve(value: Json): Json {
    const resolved = this.eval(value);
    return resolved === NO_VALUE ? null : resolved;
  }

  /** Whether a named condition holds. */
  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`unknown condition ${name}`);
    const result = this.truthy(this.eval(definition), `condition ${name}`);
    this.conditionCache.set(name, result);
    return result;
  }

  /** Whether a resource exists in this scope (its `Condition`, if any, holds). */
  exists(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    return resource !== undefined && (resource.Condition === undefined || this.condition(resource.Condition));
  }

  /** What `Ref` returns for a parameter, a pseudo parameter or a resource. */
  ref(name: string): Json | typeof NO_VALUE {
    const { partition, region, accountId, stackName } = this.scope;
    switch (name) {
      case 'AWS::Partition':
        return partition;
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/0`;
      case 'AWS::URLSuffix':
        return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    if (name in this.parameters) return this.parameters[name] ?? '';
    const resource = this.template.Resources[name];
    if (!resource) throw new Error(`Ref to unknown ${name}`);
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
      case 'AWS::Events::Rule':
        return this.getAtt(name, 'Arn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${this.physicalName(name)}`;
      case 'AWS::IAM::ManagedPolicy': {
        const path = String(this.resolve(resource.Properties?.Path ?? '/'));
        return `arn:${partition}:iam::${accountId}:policy${path}${this.physicalName(name)}`;
      }
      default:
        return this.physicalName(name);
    }
  }

  /** What `Fn::GetAtt` returns; ARNs follow each service's format. */
  getAtt(name: string, attribute: string): string {
    const resource = this.template.Resources[name];
    if (!resource) throw new Error(`GetAtt of unknown ${name}`);
    const { partition: p, region: r, accountId: a } = this.scope;
    const id = this.physicalName(name);
    if (attribute === 'QueueName' || attribute === 'TopicName') return id;
    if (attribute !== 'Arn') return `${id}.${attribute}`;
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role${String(this.resolve(resource.Properties?.Path ?? '/'))}${id}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${id}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${r}:${a}:${id}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${r}:${a}:table/${id}`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/${id}`;
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${id}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${id}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${r}:${a}:log-group:${id}:*`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${r}:${a}:rule/${id}`;
      case 'AWS::CloudTrail::Trail':
        return `arn:${p}:cloudtrail:${r}:${a}:trail/${id}`;
      default:
        return `arn:${p}:cloudformation:${r}:${a}:resource/${id}`;
    }
  }

  /** A resource's name: its explicit name property when it has one, else a generated one. */
  private physicalName(logicalId: string): string {
    const properties = this.template.Resources[logicalId]?.Properties ?? {};
    for (const key of ['FunctionName', 'TableName', 'QueueName', 'TopicName', 'RoleName', 'LogGroupName']) {
      const explicit = properties[key];
      if (explicit !== undefined) return String(this.resolve(explicit));
    }
    // S3 bucket names are lower case; the others keep the logical ID, like CloudFormation's generated names.
    return this.template.Resources[logicalId]?.Type === 'AWS::S3::Bucket'
      ? `${this.scope.stackName}-${logicalId}`.toLowerCase()
      : `${this.scope.stackName}-${logicalId}`;
  }

  private truthy(value: Json | typeof NO_VALUE, what: string): boolean {
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`${what} is not a boolean: ${JSON.stringify(value)}`);
  }

  private sub(text: string, variables: Record<string, Json>): string {
    return text.replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in variables) return String(this.eval(variables[expression] ?? ''));
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return this.getAtt(expression.slice(0, dot), expression.slice(dot + 1));
      }
      const value = this.ref(expression);
      if (value === NO_VALUE) throw new Error(`Fn::Sub of AWS::NoValue in ${whole}`);
      return String(value);
    });
  }

  private eval(value: Json): Json | typeof NO_VALUE {
    if (Array.isArray(value)) {
      return value.map((item) => this.eval(item)).filter((item): item is Json => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    const key = keys[0];
    if (
      keys.length === 1 &&
      key !== undefined &&
      (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))
    ) {
      return this.intrinsic(key, value[key] as Json);
    }
    const out: Record<string, Json> = {};
    for (const [name, item] of Object.entries(value)) {
      const resolved = this.eval(item);
      if (resolved !== NO_VALUE) out[name] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, argument: Json): Json | typeof NO_VALUE {
    const args = Array.isArray(argument) ? argument : [argument];
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Condition':
        return this.condition(String(argument));
      case 'Fn::GetAtt': {
        const [resource, attribute] = typeof argument === 'string' ? argument.split('.') : args.map(String);
        return this.getAtt(String(resource), String(attribute));
      }
      case 'Fn::Sub':
        return typeof argument === 'string'
          ? this.sub(argument, {})
          : this.sub(String(args[0]), (args[1] ?? {}) as Record<string, Json>);
      case 'Fn::Join': {
        const [separator, items] = args;
        return (this.eval(items ?? []) as Json[]).map(String).join(String(separator));
      }
      case 'Fn::Select': {
        const [index, items] = args;
        return (this.eval(items ?? []) as Json[])[Number(this.eval(index ?? 0))] ?? null;
      }
      case 'Fn::Split': {
        const [separator, text] = args;
        return String(this.eval(text ?? '')).split(String(separator));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args;
        return this.condition(String(condition)) ? this.eval(whenTrue ?? null) : this.eval(whenFalse ?? null);
      }
      case 'Fn::Equals': {
        const [left, right] = args.map((item) => this.eval(item));
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case 'Fn::Not':
        return !this.truthy(this.eval(args[0] ?? null), 'Fn::Not');
      case 'Fn::And':
        return args.every((item) => this.truthy(this.eval(item), 'Fn::And'));
      case 'Fn::Or':
        return args.some((item) => this.truthy(this.eval(item), 'Fn::Or'));
      case 'Fn::Contains': {
        const [list, item] = args.map((entry) => this.eval(entry));
        return Array.isArray(list) && list.some((entry) => JSON.stringify(entry) === JSON.stringify(item));
      }
      default:
        throw new Error(`the template evaluator does not know ${name}`);
    }
  }
}

/** The logical ID a `Ref`/`Fn::GetAtt` points at, if the value is one. */
export function referencedId(value: Json | undefined): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The resources of one type, as `[logicalId, resource]` pairs. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}
