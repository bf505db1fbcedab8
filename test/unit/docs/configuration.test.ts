import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../../lib/template.js';

/**
 * The README's configuration table, `sam-env.json` (generated from template.yaml by scripts/make-events.ts)
 * and the template's parameters describe the same settings: a reader of one must not be misled by another.
 */

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const SAM_ENV = JSON.parse(readFileSync(new URL('../../../sam-env.json', import.meta.url), 'utf8')) as Record<
  string,
  Record<string, string>
>;
const PARAMETERS = (loadTemplate() as { Parameters: Record<string, { Default?: unknown }> }).Parameters;

/** The rows of the README's table whose header starts `| Parameter | Variable | Default |`. */
function configurationRows(): { parameters: string[]; variables: string[]; defaults: string }[] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => /^\| Parameter \| Variable \| Default \|/.test(line));
  const rows: { parameters: string[]; variables: string[]; defaults: string }[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [parameters = '', variables = '', defaults = ''] = line.split('|').slice(1);
    const names = (cell: string) => [...cell.matchAll(/`([A-Za-z_]+)`/g)].map((match) => match[1] ?? '');
    rows.push({ parameters: names(parameters), variables: names(variables), defaults: defaults.trim() });
  }
  return rows;
}

describe("the README's configuration table", () => {
  it('is found, with a row for every template parameter', () => {
    const rows = configurationRows();
    expect(rows.length).toBeGreaterThan(5);
    const documented = rows.flatMap((row) => row.parameters);
    expect(Object.keys(PARAMETERS).filter((name) => !documented.includes(name))).toEqual([]);
  });

  it("gives each parameter the template's default", () => {
    for (const row of configurationRows()) {
      const [first] = row.parameters;
      if (first === undefined) continue;
      const defaults = row.defaults.split(/,\s*/).map((value) => value.replace(/`/g, '').trim());
      row.parameters.forEach((name, index) => {
        const expected = String(PARAMETERS[name]?.Default ?? '');
        const stated = defaults.length === row.parameters.length ? defaults[index] : defaults[0];
        // The table may say what a default means: "empty (off)", "0 (off)".
        const normal = (value: string | undefined) => {
          const bare = (value ?? '').replace(/\s+\(.*\)$/, '');
          return bare === 'empty' ? '' : bare;
        };
        expect({ name, default: normal(stated) }).toEqual({ name, default: expected });
      });
    }
  });

  it('names every variable sam-env.json sets, and only variables the functions have', () => {
    const variables = new Set(Object.values(SAM_ENV).flatMap((env) => Object.keys(env)));
    const missing = [...variables].filter((name) => !README.includes(`\`${name}\``));
    expect(missing).toEqual([]);
    const tabled = configurationRows().flatMap((row) => row.variables);
    expect(tabled.filter((name) => !variables.has(name))).toEqual([]);
  });
});

describe('samconfig.toml.example', () => {
  const EXAMPLE = readFileSync(new URL('../../../samconfig.toml.example', import.meta.url), 'utf8');

  /** Its `parameter_overrides`, a TOML basic string of `Name="value"` pairs, as SAM writes it. */
  function overrides(): Record<string, string> {
    const line = /^parameter_overrides = (".*")$/m.exec(EXAMPLE)?.[1];
    if (line === undefined) throw new Error('samconfig.toml.example has no parameter_overrides line');
    const text = JSON.parse(line) as string;
    return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
  }

  it('chooses enforce for every rule, explicitly, with parameters the template has', () => {
    const chosen = overrides();
    expect(Object.keys(chosen).filter((name) => !(name in PARAMETERS))).toEqual([]);
    expect(chosen).toMatchObject({
      AccessKeysMode: 'enforce',
      AdminPolicyMode: 'enforce',
      InlinePolicyMode: 'enforce',
    });
  });
});
