import { describe, expect, it } from 'vitest';
import { scoreModules, scoreTable } from '../../../scripts/mutation-scores.js';

const mutants = (...statuses: string[]) => ({ mutants: statuses.map((status) => ({ status })) });

describe('scoreModules', () => {
  it('scores a folder as one module, each file on its own, and leaves errors and disabled mutants out', () => {
    const scores = scoreModules({
      files: {
        'lib/decisions/a.ts': mutants('Killed', 'Killed', 'Survived', 'Ignored'),
        'lib/decisions/b.ts': mutants('Timeout', 'NoCoverage', 'CompileError'),
        'lib/pattern.ts': mutants('Killed', 'RuntimeError'),
        'lib/other.ts': mutants('Survived'),
      },
    });

    expect(scores).toEqual([
      {
        module: 'lib/decisions/',
        mutants: 7,
        killed: 2,
        timedOut: 1,
        survived: 1,
        noCoverage: 1,
        ignored: 1,
        score: 60,
        target: 95,
      },
      expect.objectContaining({ module: 'lib/pattern.ts', mutants: 2, score: 100, target: 90 }),
      expect.objectContaining({ module: 'lib/other.ts', score: 0, target: 90 }),
    ]);
  });

  it('prints one table row per module', () => {
    const table = scoreTable(
      scoreModules({ files: { 'lib/config.ts': mutants('Killed', 'Survived', 'Killed') } }),
    );

    expect(table.split('\n')[2]).toBe('| `lib/config.ts` | 3 | 2 | 0 | 1 | 0 | 0 | 66.7% | 90% |');
  });
});
