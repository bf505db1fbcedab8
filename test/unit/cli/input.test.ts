import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InputItem, listEventFiles, readInputs } from '../../../lib/cli/input.js';
import { sampleEvent } from '../../support/deps.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iam-warden-input-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(paths: string[], stdin?: () => Promise<Buffer>): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for await (const item of readInputs(paths, stdin ? { stdin } : {})) items.push(item);
  return items;
}

function summary(items: InputItem[]): string[] {
  return items.map((item) =>
    item.kind === 'event'
      ? `${item.source.replace(dir, '')} ${String((item.event.detail as { eventName: string }).eventName)}`
      : `${item.source.replace(dir, '')} ERROR ${item.message}`,
  );
}

const record = (eventName: string) => ({ ...sampleEvent('create-user').detail, eventName });

describe('readInputs', () => {
  it('reads a gzipped CloudTrail log file, whatever its name', async () => {
    const file = join(dir, 'trail.bin');
    await writeFile(
      file,
      gzipSync(JSON.stringify({ Records: [record('CreateUser'), record('DeleteUser')] })),
    );
    expect(summary(await collect([file]))).toEqual([
      '/trail.bin#Records[0] CreateUser',
      '/trail.bin#Records[1] DeleteUser',
    ]);
  });

  it('reads directories recursively, in name order, skipping other and hidden files', async () => {
    await mkdir(join(dir, '2025', '01'), { recursive: true });
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, 'b.json'), JSON.stringify(record('B')));
    await writeFile(join(dir, 'a.json'), JSON.stringify(record('A')));
    await writeFile(join(dir, 'README.md'), '# not an event');
    await writeFile(join(dir, '.hidden.json'), '{');
    await writeFile(join(dir, '.git', 'x.json'), '{');
    await writeFile(
      join(dir, '2025', '01', 'c.json.gz'),
      gzipSync(JSON.stringify({ Records: [record('C')] })),
    );
    expect(summary(await collect([dir]))).toEqual([
      '/2025/01/c.json.gz#Records[0] C',
      '/a.json A',
      '/b.json B',
    ]);
  });

  it('reports bad inputs by file and record and goes on with the rest', async () => {
    await writeFile(join(dir, 'a-not-json.json'), '{"Records": [');
    await writeFile(join(dir, 'b-bad-gzip.json.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]));
    await writeFile(join(dir, 'c-mixed.json'), JSON.stringify({ Records: [record('Good'), { nope: true }] }));
    await writeFile(join(dir, 'd-good.json'), JSON.stringify(sampleEvent('create-user')));
    const items = summary(await collect([join(dir, 'missing.json'), dir]));
    expect(items).toEqual([
      expect.stringMatching(/^\/missing\.json ERROR cannot read: ENOENT/),
      expect.stringMatching(/^\/a-not-json\.json ERROR not JSON: /),
      expect.stringMatching(/^\/b-bad-gzip\.json\.gz ERROR not a valid gzip file: /),
      '/c-mixed.json#Records[0] Good',
      expect.stringMatching(/^\/c-mixed\.json#Records\[1\] ERROR not a CloudTrail record/),
      '/d-good.json CreateUser',
    ]);
  });

  it('reports a directory without event files', async () => {
    expect(await collect([dir])).toEqual([
      { kind: 'error', source: dir, message: 'the directory holds no .json or .json.gz file' },
    ]);
  });

  it('reads standard input for -', async () => {
    const stdin = async () => Buffer.from(JSON.stringify({ Records: [record('FromStdin')] }));
    expect(summary(await collect(['-'], stdin))).toEqual(['stdin#Records[0] FromStdin']);
  });
});

describe('listEventFiles', () => {
  it('lists .json and .json.gz files under a directory in order', async () => {
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'x', 'b.json.gz'), '');
    await writeFile(join(dir, 'a.JSON'), '');
    await writeFile(join(dir, 'c.txt'), '');
    expect((await listEventFiles(dir)).map((file) => file.replace(dir, ''))).toEqual([
      '/a.JSON',
      '/x/b.json.gz',
    ]);
  });
});

describe('files too large to read', () => {
  const big = JSON.stringify({ Records: Array.from({ length: 200 }, () => record('CreateUser')) });

  async function read(path: string, maxBytes: number): Promise<InputItem[]> {
    const items: InputItem[] = [];
    for await (const item of readInputs([path], { maxBytes })) items.push(item);
    return items;
  }

  it('says a gzipped file is too large once gunzipped, not that it is a bad gzip file', async () => {
    const file = join(dir, 'trail.json.gz');
    const zipped = gzipSync(big);
    await writeFile(file, zipped);
    const limit = zipped.length + 1000;
    expect(big.length).toBeGreaterThan(limit);

    const items = await read(file, limit);

    expect(items).toEqual([
      {
        kind: 'error',
        source: file,
        message: expect.stringMatching(/^too large to read: more than 0 MB once gunzipped .*: split it/),
      },
    ]);
  });

  it('refuses a plain file larger than the limit before reading it', async () => {
    const file = join(dir, 'trail.json');
    await writeFile(file, big);

    const items = await read(file, 1000);

    expect(items).toEqual([
      {
        kind: 'error',
        source: file,
        message: expect.stringMatching(/^too large to read \(0 MB; the limit is 0 MB\)/),
      },
    ]);
  });

  it('reads the same files under a limit they fit', async () => {
    const file = join(dir, 'trail.json.gz');
    await writeFile(file, gzipSync(big));

    expect(await read(file, big.length)).toHaveLength(200);
  });
});

describe('files a directory holds that are not event files', () => {
  it('are skipped and reported, each once', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify(sampleEvent('create-user')));
    await writeFile(join(dir, 'notes.txt'), 'x');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'digest.json.sig'), 'x');
    const skipped: string[] = [];
    const items: InputItem[] = [];
    for await (const item of readInputs([dir], { onSkipped: (path) => skipped.push(path) })) items.push(item);

    expect(items).toHaveLength(1);
    expect(skipped.sort()).toEqual([join(dir, 'notes.txt'), join(dir, 'sub', 'digest.json.sig')]);
  });
});

describe('JSON errors', () => {
  it('are one line, whatever the parser quoted from the file', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{\n  "Records": [\n    {"a": 1,,}\n  ]\n}\n');
    const [item] = await collect([file]);
    expect(item).toMatchObject({ kind: 'error', message: expect.stringMatching(/^not JSON: [^\n]+$/) });
  });
});
