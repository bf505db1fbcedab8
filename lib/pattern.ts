import { InvalidPatternError } from './errors.js';

/**
 * An EventBridge event pattern matcher, so the CLI routes events exactly as the deployed rules do.
 *
 * It implements the content filters EventBridge documents:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * (exact values, `prefix`, `suffix`, `equals-ignore-case` alone and inside `prefix`/`suffix`, `anything-but`
 * with a value, a list, `prefix`, `suffix`, `equals-ignore-case` or `wildcard`, `numeric`, `cidr`, `exists`,
 * `wildcard`, `$or`, `null` and empty-string values) with the semantics of EventBridge's engine, Event Ruler:
 * - a pattern's fields all have to match (and); the values listed for a field are alternatives (or);
 * - an array in the event matches when any of its elements does; objects inside arrays are matched one element
 *   at a time, so two fields of a pattern never match in two different elements (array consistency);
 * - operators apply to leaf values only: an object in the event is not a value, so `exists: true` does not
 *   match it and `exists: false` does;
 * - exact values compare type and value: `["5"]` does not match the number 5, `[true]` not the string "true".
 *
 * A pattern EventBridge would reject, or an operator this module does not know, throws `InvalidPatternError`
 * when the pattern is compiled: an unknown operator must never silently match or silently not match.
 */

/** A parsed EventBridge event pattern (the `Pattern` of a SAM `EventBridgeRule`). */
export type EventPattern = Readonly<Record<string, unknown>>;

/** A compiled pattern: true when the event matches. */
export type EventMatcher = (event: unknown) => boolean;

/** A leaf value of an event: what content filters compare. */
type Leaf = string | number | boolean | null;

/** A test on the leaf values found at one path of the event (none when the field is absent). */
type LeafTest = (values: readonly Leaf[]) => boolean;

/** A test on one leaf value. */
type ValueTest = (value: Leaf) => boolean;

/** A test on the object found at one level of the event (undefined when absent). */
type NodeTest = (node: unknown) => boolean;

/**
 * Compile an event pattern into a matcher, validating all of it first.
 *
 * @throws InvalidPatternError naming the path and the problem (unknown operator, empty list, bad operand...).
 */
export function compilePattern(pattern: unknown): EventMatcher {
  if (!isPlainObject(pattern)) throw new InvalidPatternError('an event pattern must be a JSON object');
  const test = compileNode(pattern, '');
  return (event) => test(event);
}

/** True when `event` matches `pattern`. Compiles the pattern on each call: use `compilePattern` in loops. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, message: string): never {
  throw new InvalidPatternError(`invalid event pattern at ${path || '(top level)'}: ${message}`);
}

function compileNode(pattern: Record<string, unknown>, path: string): NodeTest {
  const entries = Object.entries(pattern);
  if (entries.length === 0) fail(path, 'an empty object matches nothing useful; EventBridge rejects it');
  const tests = entries.map(([key, value]): NodeTest => {
    const at = join(path, key);
    if (key === '$or') return compileOr(value, at);
    if (Array.isArray(value)) {
      const test = compileLeafConditions(value, at);
      return (node) => test(leavesOf(fieldOf(node, key)));
    }
    if (isPlainObject(value)) {
      const test = compileNode(value, at);
      return (node) => {
        const objects = objectsOf(fieldOf(node, key));
        // No object there: the nested fields are absent, which only `exists: false` accepts.
        return objects.length === 0 ? test(undefined) : objects.some(test);
      };
    }
    return fail(at, `must be an object or an array of values, not ${JSON.stringify(value)}`);
  });
  return (node) => tests.every((test) => test(node));
}

function compileOr(value: unknown, path: string): NodeTest {
  const list: unknown = value;
  if (!Array.isArray(list) || list.length < 2 || !list.every(isPlainObject)) {
    fail(path, '`$or` takes an array of at least two patterns');
  }
  const alternatives = (list as Record<string, unknown>[]).map((alternative, index) =>
    compileNode(alternative, `${path}[${index}]`),
  );
  return (node) => alternatives.some((test) => test(node));
}

function fieldOf(node: unknown, key: string): unknown {
  return isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
}

/** The objects at a field: the object itself, or the objects in an array (nested arrays flattened). */
function objectsOf(value: unknown): Record<string, unknown>[] {
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value)) return value.flatMap(objectsOf);
  // Stryker disable next-line ArrayDeclaration: a node test reads a scalar as it reads an absent object (no fields)
  return [];
}

/** The leaf values at a field: the value itself, or the values in an array; objects are not leaves. */
function leavesOf(value: unknown): Leaf[] {
  if (Array.isArray(value)) return value.flatMap(leavesOf);
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return [value as Leaf];
  return [];
}

function compileLeafConditions(conditions: readonly unknown[], path: string): LeafTest {
  if (conditions.length === 0) fail(path, 'an empty list matches nothing; EventBridge rejects it');
  const tests = conditions.map((condition, index) => compileCondition(condition, `${path}[${index}]`));
  return (values) => tests.some((test) => test(values));
}

function anyValue(test: ValueTest): LeafTest {
  return (values) => values.some(test);
}

function compileCondition(condition: unknown, path: string): LeafTest {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) {
    return anyValue((value) => value === condition);
  }
  if (!isPlainObject(condition)) fail(path, `${JSON.stringify(condition)} is neither a value nor a filter`);
  const keys = Object.keys(condition);
  const [operator, ...others] = keys;
  if (operator === undefined || others.length > 0) {
    fail(path, `a filter has exactly one operator, got ${JSON.stringify(keys)}`);
  }
  const operand = condition[operator];
  const at = `${path}.${operator}`;
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') fail(at, 'takes true or false');
      return operand ? (values) => values.length > 0 : (values) => values.length === 0;
    case 'prefix':
    case 'suffix':
      return anyValue(compileAffix(operator, operand, at));
    case 'equals-ignore-case':
      return anyValue(compileIgnoreCase(operand, at));
    case 'wildcard':
      return anyValue(compileWildcard(operand, at));
    case 'numeric':
      return anyValue(compileNumeric(operand, at));
    case 'cidr':
      return anyValue(compileCidr(operand, at));
    case 'anything-but': {
      const excluded = compileAnythingBut(operand, at);
      return anyValue((value) => !excluded(value));
    }
    default:
      return fail(path, `unknown operator ${JSON.stringify(operator)}`);
  }
}

function requireString(operand: unknown, path: string): string {
  if (typeof operand !== 'string') fail(path, `takes a string, not ${JSON.stringify(operand)}`);
  return operand;
}

/** `prefix`/`suffix` with a string, or with `{ "equals-ignore-case": string }`. */
function compileAffix(operator: 'prefix' | 'suffix', operand: unknown, path: string): ValueTest {
  const ends = (value: string, affix: string) =>
    operator === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      fail(path, `takes a string or { "equals-ignore-case": string }, got ${JSON.stringify(operand)}`);
    }
    const affix = foldCase(requireString(operand['equals-ignore-case'], `${path}.equals-ignore-case`));
    return (value) => typeof value === 'string' && ends(foldCase(value), affix);
  }
  const affix = requireString(operand, path);
  return (value) => typeof value === 'string' && ends(value, affix);
}

/** Case folding for `equals-ignore-case`; upper then lower case also folds characters like the German ß. */
function foldCase(value: string): string {
  return value.toUpperCase().toLowerCase();
}

function compileIgnoreCase(operand: unknown, path: string): ValueTest {
  const expected = foldCase(requireString(operand, path));
  return (value) => typeof value === 'string' && foldCase(value) === expected;
}

/**
 * `*` matches any run of characters (none included); `\*` is a literal asterisk and `\\` a backslash. EventBridge
 * rejects consecutive wildcards and a backslash before anything else.
 */
function compileWildcard(operand: unknown, path: string): ValueTest {
  const wildcard = requireString(operand, path);
  let source = '';
  for (let index = 0; index < wildcard.length; index++) {
    const char = wildcard[index] as string;
    if (char === '\\') {
      const next = wildcard[index + 1];
      if (next !== '*' && next !== '\\') fail(path, 'a backslash may only escape `*` or `\\`');
      source += `\\${next}`;
      index++;
    } else if (char === '*') {
      if (wildcard[index + 1] === '*') fail(path, 'consecutive wildcard characters are not allowed');
      source += '[\\s\\S]*';
    } else {
      source += char.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
    }
  }
  // Stryker disable next-line StringLiteral: the source holds literal characters and [\s\S]* only, which match the same code points with or without the u flag
  const regex = new RegExp(`^${source}$`, 'u');
  return (value) => typeof value === 'string' && regex.test(value);
}

interface Comparison {
  /** Which end of a range the comparison bounds; `=` bounds neither. */
  readonly end: 'lower' | 'upper' | undefined;
  readonly compare: (value: number, bound: number) => boolean;
}

// A Map, not an object literal: looking an operator up on an object would also find what it inherits from
// Object.prototype, so `["toString", 5]` would compile (and match every number) instead of being rejected.
const COMPARISONS: ReadonlyMap<unknown, Comparison> = new Map<unknown, Comparison>([
  ['=', { end: undefined, compare: (value, bound) => value === bound }],
  ['<', { end: 'upper', compare: (value, bound) => value < bound }],
  ['<=', { end: 'upper', compare: (value, bound) => value <= bound }],
  ['>', { end: 'lower', compare: (value, bound) => value > bound }],
  ['>=', { end: 'lower', compare: (value, bound) => value >= bound }],
]);

function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value);
}

/**
 * `numeric` takes one comparison (`["=", 5]`, `["<", 10]`) or a lower and an upper bound
 * (`[">", 0, "<=", 5]`); it only matches JSON numbers.
 */
function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    fail(path, 'takes [operator, number] or [lower operator, number, upper operator, number]');
  }
  const tests: ((value: number) => boolean)[] = [];
  const ends: Comparison['end'][] = [];
  for (let index = 0; index < operand.length; index += 2) {
    const operator: unknown = operand[index];
    const bound: unknown = operand[index + 1];
    const comparison = COMPARISONS.get(operator);
    if (comparison === undefined) fail(path, `unknown comparison ${JSON.stringify(operator)}`);
    if (!isFiniteNumber(bound)) fail(path, `compares with numbers, not ${JSON.stringify(bound)}`);
    ends.push(comparison.end);
    tests.push((value) => comparison.compare(value, bound));
  }
  if (ends.length === 2 && !(ends.includes('lower') && ends.includes('upper'))) {
    fail(path, 'two comparisons must be a lower bound (>, >=) and an upper bound (<, <=)');
  }
  return (value) => typeof value === 'number' && tests.every((test) => test(value));
}

/**
 * What `anything-but` excludes: a value, a list of strings or of numbers, or one of `prefix`, `suffix`,
 * `equals-ignore-case`, `wildcard` (each with a string or a list of strings). A value the inner filter cannot
 * apply to (a number for `prefix`) is not excluded, so it matches.
 */
function compileAnythingBut(operand: unknown, path: string): ValueTest {
  if (typeof operand === 'string' || typeof operand === 'number') return (value) => value === operand;
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number');
    if (operand.length === 0 || !(allStrings || allNumbers)) {
      fail(path, 'takes a non-empty list of only strings or only numbers');
    }
    const excluded = new Set<unknown>(operand);
    return (value) => excluded.has(value);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const [inner, ...others] = keys;
    if (inner === undefined || others.length > 0) {
      fail(path, `takes one inner filter, got ${JSON.stringify(keys)}`);
    }
    const compileOne = (value: unknown, at: string): ValueTest => {
      switch (inner) {
        case 'prefix':
        case 'suffix':
          return compileAffix(inner, requireString(value, at), at);
        case 'equals-ignore-case':
          return compileIgnoreCase(value, at);
        case 'wildcard':
          return compileWildcard(value, at);
        default:
          return fail(path, `unknown operator ${JSON.stringify(inner)} inside anything-but`);
      }
    };
    const value = operand[inner];
    const at = `${path}.${inner}`;
    if (Array.isArray(value)) {
      if (value.length === 0) fail(at, 'takes a non-empty list');
      const tests = value.map((item, index) => compileOne(item, `${at}[${index}]`));
      return (leaf) => tests.some((test) => test(leaf));
    }
    return compileOne(value, at);
  }
  return fail(path, `takes a string, a number, a list or a filter, not ${JSON.stringify(operand)}`);
}

/** `cidr` with an IPv4 or IPv6 block; matches string values that are addresses inside it. */
function compileCidr(operand: unknown, path: string): ValueTest {
  const block = requireString(operand, path);
  const match = /^([^/]+)\/(\d{1,3})$/.exec(block);
  const base = match ? parseIp(match[1] as string) : undefined;
  const prefixLength = Number(match?.[2]);
  if (base === undefined || prefixLength > base.bits)
    fail(path, `${JSON.stringify(block)} is not a CIDR block`);
  const shift = BigInt(base.bits - prefixLength);
  const network = base.value >> shift;
  return (value) => {
    if (typeof value !== 'string') return false;
    const address = parseIp(value);
    return address !== undefined && address.bits === base.bits && address.value >> shift === network;
  };
}

interface Address {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) {
    return undefined;
  }
  return parts.reduce((sum, part) => (sum << 8n) + BigInt(part), 0n);
}

function parseIp(text: string): Address | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { bits: 32, value: v4 };
  // IPv6: eight groups of hex, one `::` standing for a run of zero groups, optionally ending in an IPv4 address
  // (`::ffff:10.0.0.1`), which is two groups written differently.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const embedded = parseIpv4(last);
    if (embedded === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(embedded >> 16n).toString(16)}:${(embedded & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  // Stryker disable next-line StringLiteral: split always returns at least one element; `??` is for the type checker
  const head = groupsOf(halves[0] ?? '');
  let groups = head;
  if (halves.length === 2) {
    // Stryker disable next-line StringLiteral: halves has two elements here; `??` is for the type checker
    const rest = groupsOf(halves[1] ?? '');
    if (head.length + rest.length > 7) return undefined;
    groups = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  }
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return { bits: 128, value: groups.reduce((sum, group) => (sum << 16n) + BigInt(`0x${group}`), 0n) };
}
