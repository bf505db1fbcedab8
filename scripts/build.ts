/**
 * Build one bundle per function with exactly the esbuild settings `template.yaml` gives SAM
 * (`Metadata.BuildProperties`), so `npm run build` and `sam build` produce the same code.
 * Output: dist/<function>/index.mjs (+ meta.json for the size report).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { functionFolder, loadTemplate, TEMPLATE_PATH } from '../lib/template.js';

interface SamEsbuildProperties {
  Format?: 'esm' | 'cjs';
  Platform?: 'node';
  Target?: string;
  Minify?: boolean;
  Sourcemap?: boolean;
  OutExtension?: string[];
  Banner?: string[];
  External?: string[];
  /** `package=replacement` pairs; SAM runs esbuild in CodeUri, where relative replacements resolve. */
  Alias?: string[];
  LegalComments?: 'none' | 'inline' | 'eof' | 'linked' | 'external';
  /** One comma-separated string, as SAM passes it on (`--main-fields=module,main`), not a list. */
  MainFields?: string;
  EntryPoints: string[];
}

/** SAM's `key=value` list properties (`.js=.mjs`, `js=...`) as esbuild's maps. */
function pairs(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  return Object.fromEntries(
    list.map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]),
  );
}

/** The esbuild options SAM derives from a function's BuildProperties. */
export function esbuildOptions(props: SamEsbuildProperties, codeUri: string, outdir: string): BuildOptions {
  const options: BuildOptions = {
    bundle: true,
    entryPoints: props.EntryPoints.map((entry) => resolve(codeUri, entry)),
    // SAM's working directory for esbuild, against which `Alias` replacements resolve.
    absWorkingDir: codeUri,
    outdir,
    format: props.Format ?? 'cjs',
    platform: props.Platform ?? 'node',
    target: props.Target ?? 'es2020',
    minify: props.Minify ?? false,
    sourcemap: props.Sourcemap ?? false,
    metafile: true,
    logLevel: 'warning',
  };
  const outExtension = pairs(props.OutExtension);
  const banner = pairs(props.Banner);
  const alias = pairs(props.Alias);
  if (outExtension) options.outExtension = outExtension;
  if (banner) options.banner = banner;
  if (alias) options.alias = alias;
  if (props.LegalComments) options.legalComments = props.LegalComments;
  if (props.External) options.external = props.External;
  if (props.MainFields) options.mainFields = props.MainFields.split(',').map((field) => field.trim());
  return options;
}

const root = resolve(TEMPLATE_PATH, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
const template = loadTemplate();
for (const [logicalId, resource] of Object.entries(template.Resources)) {
  if (resource.Type !== 'AWS::Serverless::Function' || resource.Metadata?.BuildMethod !== 'esbuild') continue;
  const name = functionFolder(resource) ?? logicalId;
  const outdir = join(dist, name);
  mkdirSync(outdir, { recursive: true });
  const codeUri = resolve(root, String(resource.Properties?.CodeUri ?? '.'));
  const result = await build(
    esbuildOptions(resource.Metadata.BuildProperties as SamEsbuildProperties, codeUri, outdir),
  );
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  console.log(`built ${name} (${logicalId}) -> dist/${name}`);
}
