import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { type EventBridgeEvent, extractEvents } from './normalize.js';

/** One event read from the inputs, or one part of the inputs that could not be read as an event. */
export type InputItem =
  | { readonly kind: 'event'; readonly source: string; readonly event: EventBridgeEvent }
  | { readonly kind: 'error'; readonly source: string; readonly message: string };

export interface ReadOptions {
  /** Reads standard input, for the path `-`. */
  readonly stdin?: () => Promise<Buffer>;
}

const gunzipAsync = promisify(gunzip);

/** Files a directory contributes: CloudTrail's own names end in `.json.gz`, exported or sample events in `.json`. */
const EVENT_FILE = /\.json(\.gz)?$/i;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The event files under a directory, recursively, in sorted order (so a replay of CloudTrail's
 * `YYYY/MM/DD/` tree runs in time order). Hidden files and folders are skipped.
 */
export async function listEventFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path)).isDirectory());
    if (isDirectory) files.push(...(await listEventFiles(path)));
    else if (EVENT_FILE.test(entry.name)) files.push(path);
  }
  return files;
}

/** A file's JSON, gunzipped first when it is gzip (told by its magic bytes, whatever its name). */
export async function parseJsonBytes(bytes: Buffer): Promise<unknown> {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  try {
    text = (gzipped ? await gunzipAsync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new Error(`not a valid gzip file: ${describe(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${describe(error)}`);
  }
}

async function* itemsOf(source: string, read: () => Promise<Buffer>): AsyncGenerator<InputItem> {
  let document: unknown;
  try {
    document = await parseJsonBytes(await read());
  } catch (error) {
    yield { kind: 'error', source, message: describe(error) };
    return;
  }
  for (const extracted of extractEvents(document)) {
    const at = extracted.at === undefined ? source : `${source}#${extracted.at}`;
    yield extracted.kind === 'event'
      ? { kind: 'event', source: at, event: extracted.event }
      : { kind: 'error', source: at, message: extracted.message };
  }
}

/**
 * Every event in the given files and directories, in order: `.json` and `.json.gz` files holding an EventBridge
 * event, a CloudTrail record, a CloudTrail log file or `lookup-events` output; `-` reads standard input. A path
 * that cannot be read, a file that is not JSON and a record that is not an event each yield an error naming
 * the file (and the record), and reading goes on with the rest.
 */
export async function* readInputs(
  paths: readonly string[],
  options: ReadOptions = {},
): AsyncGenerator<InputItem> {
  for (const path of paths) {
    if (path === '-') {
      const { stdin } = options;
      if (stdin === undefined)
        yield { kind: 'error', source: 'stdin', message: 'standard input is not available' };
      else yield* itemsOf('stdin', stdin);
      continue;
    }
    let files: string[];
    try {
      files = (await stat(path)).isDirectory() ? await listEventFiles(path) : [path];
    } catch (error) {
      yield { kind: 'error', source: path, message: `cannot read: ${describe(error)}` };
      continue;
    }
    if (files.length === 0) {
      yield { kind: 'error', source: path, message: 'the directory holds no .json or .json.gz file' };
    }
    for (const file of files) {
      yield* itemsOf(file, async () => {
        try {
          return await readFile(file);
        } catch (error) {
          throw new Error(`cannot read: ${describe(error)}`);
        }
      });
    }
  }
}
