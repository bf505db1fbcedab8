import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CollectionTag, parse, type ScalarTag } from 'yaml';

/** The repository's `template.yaml`, the one source of the rule patterns and the esbuild settings. */
export const TEMPLATE_PATH = fileURLToPath(new URL('../template.yaml', import.meta.url));

const INTRINSICS = [
  'Ref',
  'Condition',
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  // Rule-specific intrinsics, valid in the template's `Rules` section.
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
  'RefAll',
  'ValueOf',
  'ValueOfAll',
];

/** CloudFormation's short-form intrinsics (`!Ref x`) read as their long form (`{ Ref: x }`). */
const tags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const wrap = (value: unknown) => ({
    [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value,
  });
  return [
    { tag: `!${name}`, resolve: (value: string) => wrap(value) } satisfies ScalarTag,
    { tag: `!${name}`, collection: 'seq', resolve: (value) => wrap(value.toJSON()) } satisfies CollectionTag,
    { tag: `!${name}`, collection: 'map', resolve: (value) => wrap(value.toJSON()) } satisfies CollectionTag,
  ];
});

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Globals?: { Function?: Record<string, unknown> };
}

/** Read and parse a SAM template, intrinsics included. */
export function loadTemplate(path: string = TEMPLATE_PATH): Template {
  return parse(readFileSync(path, 'utf8'), {
    customTags: tags,
    merge: false,
    maxAliasCount: 1000,
  }) as Template;
}

/** An EventBridge rule of a function, as declared in the template. */
export interface TemplateRule {
  /** The function's folder under `functions/` (`access-keys`). */
  readonly functionName: string;
  readonly logicalId: string;
  readonly eventId: string;
  readonly pattern: Record<string, unknown>;
}

/** The function folder of a SAM function, from its esbuild entry point (`functions/<name>/index.ts`). */
export function functionFolder(resource: TemplateResource): string | undefined {
  const entries = (resource.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)?.EntryPoints;
  return /^functions\/([^/]+)\//.exec(entries?.[0] ?? '')?.[1];
}

/** Every EventBridge rule pattern that triggers a function. */
export function templateRules(template: Template = loadTemplate()): TemplateRule[] {
  return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    if (resource.Type !== 'AWS::Serverless::Function') return [];
    const functionName = functionFolder(resource);
    const events = (resource.Properties?.Events ?? {}) as Record<
      string,
      { Type: string; Properties: { Pattern?: unknown } }
    >;
    return Object.entries(events)
      .filter(([, event]) => event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent')
      .filter(([, event]) => event.Properties.Pattern !== undefined && functionName !== undefined)
      .map(([eventId, event]) => ({
        functionName: functionName as string,
        logicalId,
        eventId,
        pattern: event.Properties.Pattern as Record<string, unknown>,
      }));
  });
}
