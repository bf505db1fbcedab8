import { RULES, type RuleName } from '../config.js';
import { ConfigError } from '../errors.js';
import { compilePattern, type EventMatcher } from '../pattern.js';
import { type TemplateRule, templateRules } from '../template.js';

/** A function an event is delivered to, and the template's EventBridge rules that deliver it. */
export interface Route {
  readonly functionName: RuleName;
  /** The SAM event IDs of the matching rules (`CreateAccessKey`, `ActivateAccessKey`...). */
  readonly ruleIds: readonly string[];
}

/** Which functions an event reaches. */
export type Router = (event: unknown) => Route[];

function isRuleName(name: string): name is RuleName {
  return (RULES as readonly string[]).includes(name);
}

/**
 * A router built from the EventBridge rules in `template.yaml`, so the CLI delivers an event to the functions
 * the deployed rules would, and to no other. Functions are listed in template order, each once even when
 * several of its rules match.
 *
 * @throws ConfigError when a rule triggers a function iam-warden has no remediation for.
 * @throws InvalidPatternError when a pattern is invalid or uses an operator lib/pattern.ts does not know.
 */
export function createRouter(rules: readonly TemplateRule[] = templateRules()): Router {
  const compiled = rules.map((rule) => {
    if (!isRuleName(rule.functionName)) {
      throw new ConfigError(
        `template rule ${rule.logicalId}.${rule.eventId} triggers functions/${rule.functionName}, which is not one of ${RULES.join(', ')}`,
      );
    }
    const matcher: EventMatcher = compilePattern(rule.pattern);
    return { functionName: rule.functionName, ruleId: rule.eventId, matcher };
  });
  return (event) => {
    const routes = new Map<RuleName, string[]>();
    for (const { functionName, ruleId, matcher } of compiled) {
      if (!matcher(event)) continue;
      routes.set(functionName, [...(routes.get(functionName) ?? []), ruleId]);
    }
    return [...routes].map(([functionName, ruleIds]) => ({ functionName, ruleIds }));
  };
}

/** Why an event reaches no function, in words: for the `not matched` rows of a replay. */
export type NoRouteExplainer = (event: unknown) => string;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pattern's leaves (`detail.requestParameters.status` and its list), in the pattern's order. */
function leaves(pattern: Record<string, unknown>, path: readonly string[] = []): [string[], unknown][] {
  return Object.entries(pattern).flatMap(([key, value]) =>
    isObject(value) ? leaves(value, [...path, key]) : [[[...path, key], value] as [string[], unknown]],
  );
}

/** A pattern holding only the leaf at `path`. */
function only(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

function valueAt(event: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((value, key) => (isObject(value) ? value[key] : undefined), event);
}

/**
 * Explains a `not matched` row from the same rules the router uses: the call failed (CloudTrail's
 * `errorCode`), no rule takes that event name at all, or a rule takes the name but not this event (the first
 * field of its pattern the event fails, with the value it has).
 */
export function createNoRouteExplainer(rules: readonly TemplateRule[] = templateRules()): NoRouteExplainer {
  return (event) => {
    const detail = isObject(event) && isObject(event.detail) ? event.detail : {};
    const eventName = typeof detail.eventName === 'string' ? detail.eventName : 'this event';
    if (typeof detail.errorCode === 'string') {
      return `the call failed (${detail.errorCode}): the rules take successful calls only`;
    }
    const named = rules.filter((rule) => {
      const names = valueAt(rule.pattern, ['detail', 'eventName']);
      return Array.isArray(names) && names.includes(eventName);
    });
    if (named.length === 0) {
      const source = typeof detail.eventSource === 'string' ? ` (${detail.eventSource})` : '';
      return `no rule in template.yaml takes ${eventName}${source}`;
    }
    for (const rule of named) {
      for (const [path, value] of leaves(rule.pattern)) {
        if (compilePattern(only(path, value))(event)) continue;
        const actual = valueAt(event, path);
        const has = actual === undefined ? 'has none' : `has ${JSON.stringify(actual)}`;
        return `rule ${rule.eventId} takes ${eventName} only with ${path.join('.')} ${JSON.stringify(value)}; this one ${has}`;
      }
    }
    return `no rule in template.yaml matches this ${eventName}`;
  };
}
