/**
 * IAM policy documents as the evaluator reads them, and IAM's matching rules for actions and resources.
 * Tolerant of what IAM accepts (a single statement or a list, a string or a list of strings); a statement
 * without a valid `Effect` is skipped, as IAM would refuse it.
 */

export interface Statement {
  /** `Sid`, or `#<index>` (from 0) when the statement has none. */
  readonly id: string;
  readonly effect: 'Allow' | 'Deny';
  /** `Action` (`not: false`) or `NotAction` (`not: true`), as written. */
  readonly actions: { readonly not: boolean; readonly patterns: readonly string[] };
  /** `Resource` or `NotResource`, as written. */
  readonly resources: { readonly not: boolean; readonly patterns: readonly string[] };
  /** True when the statement has a non-empty `Condition`. */
  readonly conditional: boolean;
}

function strings(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statements of a policy document (a JSON string, already URL-decoded, or the parsed object). */
export function parseStatements(document: unknown): Statement[] {
  let parsed = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch {
      return [];
    }
  }
  if (!isRecord(parsed)) return [];
  const raw = parsed.Statement;
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const statements: Statement[] = [];
  list.forEach((item, index) => {
    if (!isRecord(item)) return;
    if (item.Effect !== 'Allow' && item.Effect !== 'Deny') return;
    const action = strings(item.Action);
    const notAction = strings(item.NotAction);
    const resource = strings(item.Resource);
    const notResource = strings(item.NotResource);
    if ((action === undefined) === (notAction === undefined)) return;
    if ((resource === undefined) === (notResource === undefined)) return;
    statements.push({
      id: typeof item.Sid === 'string' && item.Sid !== '' ? item.Sid : `#${index}`,
      effect: item.Effect,
      actions: action ? { not: false, patterns: action } : { not: true, patterns: notAction ?? [] },
      resources: resource ? { not: false, patterns: resource } : { not: true, patterns: notResource ?? [] },
      conditional: isRecord(item.Condition) && Object.keys(item.Condition).length > 0,
    });
  });
  return statements;
}

const compiled = new Map<string, RegExp>();

/**
 * IAM's glob: `*` any run of characters, `?` any one character, nothing else special. Actions compare without
 * case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html), resource
 * ARNs with case.
 */
export function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(key);
  if (!regex) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    compiled.set(key, regex);
  }
  return regex.test(value);
}

/** True when the statement's `Action`/`NotAction` covers `action` (`service:Name`). */
export function coversAction(statement: Statement, action: string): boolean {
  const listed = statement.actions.patterns.some((pattern) => globMatches(pattern, action, true));
  return statement.actions.not ? !listed : listed;
}
