/**
 * What every benchmark shares: the report shape the runner prints and saves, statistics, the machine
 * description, and a timed child process.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchContext {
  /** Samples per measurement (`BENCH_RUNS`, default 15). */
  readonly runs: number;
  /** Progress on stderr, so stdout stays the report. */
  readonly log: (message: string) => void;
}

export interface BenchReport {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Lines printed under the table: method, caveats, what a miss means. */
  readonly notes: readonly string[];
  /** Targets missed; any makes `npm run bench` exit non-zero. */
  readonly failures: readonly string[];
  /** Everything measured, for .bench/results.json. */
  readonly data: unknown;
}

/**
 * A benchmark: a module `bench/<name>.bench.ts` whose default export is one of these. The runner finds
 * it by its file name; nothing else needs registering.
 */
export interface Benchmark {
  readonly description: string;
  run(context: BenchContext): Promise<BenchReport>;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The median absolute deviation: the spread of the samples, robust to the odd slow one. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((value) => Math.abs(value - m)));
}

export function formatBytes(bytes: number): string {
  return bytes >= 1000 * 1000 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1000).toFixed(1)} kB`;
}

/** Where the figures were taken. */
export function machine() {
  const cpu = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** A plain-text table, columns padded, numbers right-aligned. */
export function table(columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const numeric = (cell: string) => /^[\d.,×x%+-]+( ?[kM]?B| ms)?$/.test(cell);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Run `node` on a script in a fresh process and return what it printed on stdout as JSON. Throws with the
 * child's stderr when it fails, so a broken bundle is a loud error, never a fast sample.
 */
export function runNode(args: readonly string[], env: NodeJS.ProcessEnv): unknown {
  const child = spawnSync(process.execPath, args, { env, encoding: 'utf8', cwd: ROOT });
  if (child.status !== 0) {
    throw new Error(`node ${args.slice(-1).join(' ')} failed (${child.status}): ${child.stderr}`);
  }
  return JSON.parse(child.stdout);
}
