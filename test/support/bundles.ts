import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionFolder, loadTemplate, type Template } from '../../lib/template.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '@@iam-warden-bundle-result@@';
/** The AWS SDK for JavaScript v3 and its Smithy runtime, which Lambda's nodejs runtimes provide. */
const SDK_SCOPES = ['@aws-sdk', '@smithy'] as const;
/** Lambda's default when neither the function nor Globals set `Timeout`. */
const DEFAULT_TIMEOUT_SECONDS = 3;

/** A Lambda function of template.yaml and the bundle `npm run build` makes of it. */
export interface TemplateFunction {
  readonly logicalId: string;
  /** Its folder under functions/ and dist/ (`access-keys`). */
  readonly name: string;
  /** `Handler` as the template gives it (`index.handler`). */
  readonly handler: string;
  /** The file Lambda loads for that handler: dist/<name>/<module>.mjs. */
  readonly bundlePath: string;
  /** The export Lambda calls. */
  readonly exportName: string;
  readonly timeoutSeconds: number;
  /**
   * The environment the template gives the function (Globals, then its own) where it is a literal or a `Ref` to
   * a parameter, which takes the parameter's default; values built from resources (`!GetAtt`...) are left out.
   */
  readonly environment: Readonly<Record<string, string>>;
}

function templateEnvironment(template: Template, variables: unknown): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries((variables ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      resolved[name] = String(value);
      continue;
    }
    const ref = (value as { Ref?: unknown } | null)?.Ref;
    const fallback = typeof ref === 'string' ? template.Parameters?.[ref]?.Default : undefined;
    if (fallback !== undefined) resolved[name] = String(fallback);
  }
  return resolved;
}

/** Every function of the template, with where its built bundle must be and what it must export. */
export function templateFunctions(template: Template = loadTemplate()): TemplateFunction[] {
  const globals = template.Globals?.Function ?? {};
  const variablesOf = (properties: Record<string, unknown> | undefined): unknown =>
    (properties?.Environment as { Variables?: unknown } | undefined)?.Variables;
  return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    if (resource.Type !== 'AWS::Serverless::Function') return [];
    const properties = resource.Properties ?? {};
    const name = functionFolder(resource) ?? logicalId;
    const handler = String(properties.Handler ?? globals.Handler ?? '');
    // Lambda splits `Handler` at its last dot: the module path, then the exported name.
    const dot = handler.lastIndexOf('.');
    return [
      {
        logicalId,
        name,
        handler,
        bundlePath: join(ROOT, 'dist', name, `${handler.slice(0, dot)}.mjs`),
        exportName: handler.slice(dot + 1),
        timeoutSeconds: Number(properties.Timeout ?? globals.Timeout ?? DEFAULT_TIMEOUT_SECONDS),
        environment: {
          ...templateEnvironment(template, variablesOf(globals)),
          ...templateEnvironment(template, variablesOf(properties)),
        },
      },
    ];
  });
}

/** What the child process saw: the bundle's exports and the value its handler returned for each event. */
export interface BundleRun {
  readonly exports: string[];
  readonly results: unknown[];
}

/**
 * Imports the bundle and calls its handler in a fresh ESM context: Lambda's module resolution, strict ESM
 * (no `require`, no `__dirname` unless the bundle provides them), the function's timeout as the context's
 * deadline and an environment holding only what the function is configured with. Prints the results behind a
 * marker, since logs share stdout.
 */
const CHILD = `
const { pathToFileURL } = await import('node:url');
const mod = await import(pathToFileURL(process.env.BUNDLE_FILE).href);
const handler = mod[process.env.BUNDLE_EXPORT];
const deadline = Date.now() + Number(process.env.BUNDLE_TIMEOUT_MS);
const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'iam-warden-smoke',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:iam-warden-smoke',
  memoryLimitInMB: '256',
  awsRequestId: '00000000-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/iam-warden-smoke',
  logStreamName: 'smoke',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const results = [];
if (typeof handler === 'function') {
  for (const event of JSON.parse(process.env.BUNDLE_EVENTS)) results.push(await handler(event, context));
}
process.stdout.write('\\n${MARKER}' + JSON.stringify({ exports: Object.keys(mod).sort(), results }) + '\\n');
process.exit(0);
`;

/** The end of a child's output, with lines cut short: Node quotes the minified source line of an error. */
function tail(output: string): string {
  return output
    .trim()
    .split('\n')
    .slice(-30)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)} [...]` : line))
    .join('\n');
}

/**
 * Runs a built bundle the way Lambda would: copied alone into an empty directory (so nothing it forgot to
 * bundle can be found in this repository's node_modules), with only the AWS SDK v3 (`@aws-sdk`, `@smithy`) next
 * to it, which the nodejs runtimes provide, and `env` as its whole environment. Rejects with the end of the
 * child's output when it fails.
 */
export async function runBundle(
  fn: TemplateFunction,
  events: readonly unknown[],
  env: Readonly<Record<string, string>>,
): Promise<BundleRun> {
  if (!existsSync(fn.bundlePath)) {
    throw new Error(
      `${fn.bundlePath} is missing: run \`npm run build\` first (\`npm test\` and \`npm run test:integration\` do)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `iam-warden-${fn.name}-`));
  try {
    const file = join(dir, basename(fn.bundlePath));
    copyFileSync(fn.bundlePath, file);
    mkdirSync(join(dir, 'node_modules'));
    for (const scope of SDK_SCOPES) {
      symlinkSync(join(ROOT, 'node_modules', scope), join(dir, 'node_modules', scope), 'dir');
    }
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '--eval', CHILD],
        {
          cwd: dir,
          env: {
            ...env,
            BUNDLE_FILE: file,
            BUNDLE_EXPORT: fn.exportName,
            BUNDLE_EVENTS: JSON.stringify(events),
            BUNDLE_TIMEOUT_MS: String(fn.timeoutSeconds * 1000),
          },
          timeout: 90_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, out, err) => {
          if (error) {
            const how = error.killed ? `killed (${error.signal})` : `exit code ${error.code}`;
            reject(new Error(`${fn.name} bundle failed, ${how}:\n${tail(err)}\n${tail(out)}`));
          } else resolve(out);
        },
      );
    });
    const line = stdout.split('\n').find((candidate) => candidate.startsWith(MARKER));
    if (line === undefined) throw new Error(`${fn.name} bundle printed no result:\n${tail(stdout)}`);
    return JSON.parse(line.slice(MARKER.length)) as BundleRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
