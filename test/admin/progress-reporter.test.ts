import { PassThrough } from 'node:stream';
import { REFRESH_FLEET, SYNC_FLEET } from '../../src/admin/fleet-kinds';
import { createProgressReporter, type ProgressView } from '../../src/admin/progress-reporter';
import type { SyncFleetProgress } from '../../workflows/contract';

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 160 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

const view = (done: number, total: number, totalKnown = false): ProgressView => ({
  done,
  total,
  totalKnown,
  details: `${done} synced`,
});

describe('admin progress reporter', () => {
  it('prints one plain line per change when the stream is not a terminal', () => {
    const out = capture(false);
    const reporter = createProgressReporter({ stream: out.stream, label: 'sync' });
    reporter.update(view(0, 0));
    reporter.update(view(0, 0));
    reporter.update(view(3, 10));
    reporter.update(view(10, 10, true));
    reporter.stop();
    expect(out.text()).toBe(
      [
        'sync progress: 0/0+ accounts | 0 synced',
        'sync progress: 3/10+ accounts | 3 synced',
        'sync progress: 10/10 accounts | 10 synced',
        '',
      ].join('\n'),
    );
  });

  it('draws a bar that grows with the total on a terminal', () => {
    const out = capture(true);
    const reporter = createProgressReporter({ stream: out.stream, label: 'sync' });
    reporter.update(view(2, 4));
    reporter.update(view(5, 20));
    reporter.update(view(20, 20, true));
    reporter.stop();
    const text = out.text();
    expect(text).toMatch(/sync \[=+-*\] 20\/20 accounts \| 20 synced/);
    expect(text).toContain('\x1b[?25l'); // cursor hidden while drawing, shown again at the end
    expect(text).toContain('\x1b[?25h');
    expect(text).not.toContain('sync progress:');
  });
});

describe('fleet views', () => {
  it('reads the sync progress query: done of found, open-ended until every page is read, quota waits shown', () => {
    const progress: SyncFleetProgress = {
      found: 200,
      done: 120,
      succeeded: 110,
      failed: 2,
      skipped: 5,
      reauthRequired: 3,
      inFlight: 50,
      rateLimitedUntil: '2026-11-27T10:15:30.000Z',
      startedAt: '2026-11-27T10:00:00.000Z',
      platform: null,
      runs: 1,
      allFound: false,
    };
    expect(SYNC_FLEET.toView(progress)).toEqual({
      done: 120,
      total: 200,
      totalKnown: false,
      details:
        '110 synced, 5 skipped, 3 reauth required, 2 failed, 50 in flight, waiting for quota until 10:15:30Z',
    });
  });

  it('summarises a refresh result with every outcome', () => {
    const summary = REFRESH_FLEET.summarize('refresh-expiring-tokens-on-demand', {
      considered: 12,
      refreshed: 8,
      skipped: 1,
      notDue: 1,
      reauthRequired: 1,
      expired: 0,
      failed: 1,
      startedAt: '2026-11-27T10:00:00.000Z',
      finishedAt: '2026-11-27T10:00:02.500Z',
      durationMs: 2500,
      runs: 1,
      windowDays: 7,
    });
    expect(summary).toBe(
      'Token refresh refresh-expiring-tokens-on-demand completed in 2.5 s (1 run, window 7 days)\n' +
        '  accounts  12 considered: 8 refreshed, 1 skipped, 1 not due, 1 reauth required, 0 expired, 1 failed',
    );
  });
});
