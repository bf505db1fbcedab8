import { Presets, SingleBar } from 'cli-progress';

/**
 * Progress of long work (a replay of many files, a sweep), drawn by cli-progress (MIT) on standard error,
 * and only when that is a terminal: a pipe or a file never receives the redraws. `undefined` streams give a
 * progress that draws nothing, so callers need not ask.
 */
export interface Progress {
  /** Start (or restart) with a total and the values the format shows. */
  start(total: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  increment(payload?: Record<string, unknown>): void;
  update(payload: Record<string, unknown>): void;
  stop(): void;
}

const NO_PROGRESS: Progress = {
  start: () => undefined,
  setTotal: () => undefined,
  increment: () => undefined,
  update: () => undefined,
  stop: () => undefined,
};

/** A progress line in `format` (cli-progress tokens: `{bar}`, `{value}`, `{total}`, `{eta_formatted}`...). */
export function createProgress(stream: NodeJS.WritableStream | undefined, format: string): Progress {
  if (stream === undefined || !(stream as { isTTY?: boolean }).isTTY) return NO_PROGRESS;
  const bar = new SingleBar(
    { stream, format, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 5 },
    Presets.shades_classic,
  );
  let started = false;
  return {
    start: (total, payload) => {
      bar.start(total, 0, payload);
      started = true;
    },
    setTotal: (total) => bar.setTotal(total),
    increment: (payload) => bar.increment(1, payload),
    update: (payload) => bar.update(payload),
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
