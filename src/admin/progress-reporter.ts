import { SingleBar } from 'cli-progress';

/** What a fleet run's progress query says, in the shape a bar and a log line both need. */
export interface ProgressView {
  done: number;
  /** Found so far; grows while the run pages through accounts. */
  total: number;
  /** false while more accounts may still be found (the total is then shown as "40+"). */
  totalKnown: boolean;
  /** Counters in words, e.g. "38 synced, 1 failed, 4 in flight". */
  details: string;
}

export interface ProgressReporter {
  update(view: ProgressView): void;
  /** Leaves the last state on screen (bar) or printed (lines). */
  stop(): void;
}

export interface ProgressReporterOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Shown before the bar or at the start of each line, e.g. "sync". */
  label: string;
}

/**
 * A live bar on a terminal; plain lines elsewhere (CI logs, pipes), where a bar's carriage returns and
 * cursor codes would be noise: one line each time the counters change, nothing when they do not.
 */
export function createProgressReporter({ stream, label }: ProgressReporterOptions): ProgressReporter {
  return stream.isTTY ? createBarReporter(stream, label) : createLineReporter(stream, label);
}

export function formatCount(view: ProgressView): string {
  return `${view.done}/${view.total}${view.totalKnown ? '' : '+'}`;
}

function createLineReporter(stream: NodeJS.WritableStream, label: string): ProgressReporter {
  let last = '';
  return {
    update(view) {
      const line = `${label} progress: ${formatCount(view)} accounts | ${view.details}`;
      if (line === last) return;
      last = line;
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}

function createBarReporter(stream: NodeJS.WritableStream, label: string): ProgressReporter {
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {count} accounts | {details}`,
    barsize: 30,
    hideCursor: true,
    // The total grows page by page; an ETA computed from it would promise too early.
    etaBuffer: 1,
  });
  let started = false;
  return {
    update(view) {
      // A bar needs a positive total: before the first page is read there is nothing to fill.
      const total = Math.max(view.total, view.done, 1);
      const payload = { count: formatCount(view), details: view.details };
      if (!started) {
        bar.start(total, view.done, payload);
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(view.done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
