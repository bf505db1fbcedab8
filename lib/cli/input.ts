import { constants } from 'node:buffer';
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
  /** Hears each file a directory holds that is not an event file (`.txt`, a digest...), for the summary. */
  readonly onSkipped?: (path: string) => void;
  /** Hears how many files an input holds once listed, then each file once read, for the progress line. */
  readonly onFiles?: (count: number) => void;
  readonly onFileRead?: (path: string) => void;
  /** The most bytes a file may hold, gunzipped: the longest string V8 can make by default. */
  readonly maxBytes?: number;
}

/** V8 cannot make a string longer than this, so no larger JSON text can be parsed. */
export const MAX_INPUT_BYTES = constants.MAX_STRING_LENGTH;

/** A file too large to read whole, gunzipped or not. */
export class InputTooLargeError extends Error {
  override name = 'InputTooLargeError';
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1_048_576)} MB`;
}

const gunzipAsync = promisify(gunzip);

/** Files a directory contributes: CloudTrail's own names end in `.json.gz`, exported or sample events in `.json`. */
const EVENT_FILE = /\.json(\.gz)?$/i;

/** An error's message on one line: a JSON parser quotes the text it stopped at, newlines included. */
function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The event files under a directory, recursively, in sorted order (so a replay of CloudTrail's
 * `YYYY/MM/DD/` tree runs in time order). Hidden files and folders are skipped.
 */
export async function listEventFiles(
  directory: string,
  onSkipped: (path: string) => void = () => undefined,
): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(directory, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path)).isDirectory());
    if (isDirectory) files.push(...(await listEventFiles(path, onSkipped)));
    else if (EVENT_FILE.test(entry.name)) files.push(path);
    else onSkipped(path);
  }
  return files;
}

/**
 * A file's JSON, gunzipped first when it is gzip (told by its magic bytes, whatever its name). A file whose
 * text would exceed `maxBytes` is refused as too large, not reported as a bad gzip file or bad JSON.
 */
export async function parseJsonBytes(bytes: Buffer, maxBytes: number = MAX_INPUT_BYTES): Promise<unknown> {
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (bytes.length > maxBytes) {
    throw new InputTooLargeError(
      `too large to read (${megabytes(bytes.length)}; the limit is ${megabytes(maxBytes)}): split it, e.g. one file per day`,
    );
  }
  let raw: Buffer = bytes;
  if (gzipped) {
    try {
      raw = await gunzipAsync(bytes, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new InputTooLargeError(
          `too large to read: more than ${megabytes(maxBytes)} once gunzipped (${megabytes(bytes.length)} compressed): split it, e.g. one file per day`,
        );
      }
      throw new Error(`not a valid gzip file: ${describe(error)}`);
    }
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new Error(`not JSON: ${describe(error)}`);
  }
}

async function* itemsOf(
  source: string,
  read: () => Promise<Buffer>,
  maxBytes: number | undefined,
): AsyncGenerator<InputItem> {
  let document: unknown;
  try {
    document = await parseJsonBytes(await read(), maxBytes);
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
      else yield* itemsOf('stdin', stdin, options.maxBytes);
      continue;
    }
    let files: string[];
    try {
      files = (await stat(path)).isDirectory() ? await listEventFiles(path, options.onSkipped) : [path];
    } catch (error) {
      yield { kind: 'error', source: path, message: `cannot read: ${describe(error)}` };
      continue;
    }
    options.onFiles?.(files.length);
    if (files.length === 0) {
      yield { kind: 'error', source: path, message: 'the directory holds no .json or .json.gz file' };
    }
    for (const file of files) {
      yield* itemsOf(
        file,
        async () => {
          const size = (await stat(file).catch(() => undefined))?.size ?? 0;
          const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
          // Refused before reading: a file over 2 GB cannot even be read into one buffer.
          if (size > maxBytes) {
            throw new InputTooLargeError(
              `too large to read (${megabytes(size)}; the limit is ${megabytes(maxBytes)}): split it, e.g. one file per day`,
            );
          }
          try {
            return await readFile(file);
          } catch (error) {
            throw new Error(`cannot read: ${describe(error)}`);
          }
        },
        options.maxBytes,
      );
      options.onFileRead?.(file);
    }
  }
}
