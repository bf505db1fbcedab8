/**
 * `npm run bench` (after `npm run build`): run every `bench/*.bench.ts`, print a table per benchmark and
 * save everything to .bench/results.json. `npm run bench -- bundles` runs only the named ones;
 * `BENCH_RUNS=31` takes more samples. Exits non-zero when a benchmark reports a missed target.
 *
 * A benchmark is a module whose default export is a `Benchmark` (bench/support.ts); adding one is
 * adding a file.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Benchmark, type BenchReport, machine, ROOT, table } from './support.js';

const runs = Number(process.env.BENCH_RUNS ?? 15);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`BENCH_RUNS must be a positive integer, not ${runs}`);
const only = process.argv.slice(2);
const benchDir = join(ROOT, 'bench');
const names = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();
if (names.length === 0) throw new Error(`no benchmark matches ${only.join(', ')}`);

const host = machine();
console.log(
  `iam-warden benchmarks: Node ${host.node} on ${host.platform}, ${host.cpu} × ${host.cores}, ` +
    `${host.memoryGiB} GiB; ${runs} runs per sample`,
);

const reports: Record<string, BenchReport> = {};
for (const name of names) {
  const module = (await import(pathToFileURL(join(benchDir, `${name}.bench.ts`)).href)) as {
    default: Benchmark;
  };
  const bench = module.default;
  console.log(`\n## ${name}: ${bench.description}\n`);
  const report = await bench.run({ runs, log: (message) => process.stderr.write(`[${name}] ${message}\n`) });
  reports[name] = report;
  console.log(report.title);
  console.log(table(report.columns, report.rows));
  for (const note of report.notes) console.log(`  ${note}`);
  for (const failure of report.failures) console.log(`  MISSED: ${failure}`);
}

mkdirSync(join(ROOT, '.bench'), { recursive: true });
const resultsPath = join(ROOT, '.bench', 'results.json');
writeFileSync(
  resultsPath,
  `${JSON.stringify({ takenAt: new Date().toISOString(), runs, machine: host, benchmarks: reports }, null, 2)}\n`,
);
console.log(`\nresults: ${resultsPath}`);
const failures = Object.values(reports).flatMap((report) => report.failures);
if (failures.length > 0) process.exitCode = 1;
