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
