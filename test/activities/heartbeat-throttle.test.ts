import { Context } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HEARTBEAT_MIN_INTERVAL_MS, heartbeatAtMostEverySecond } from '../../activities/context';

describe('heartbeatAtMostEverySecond', () => {
  it('sends the first heartbeat of an activity, drops those within a second, sends the next one after', async () => {
    const environment = new MockActivityEnvironment();
    const sent: unknown[] = [];
    environment.on('heartbeat', (details: unknown) => sent.push(details));
    await environment.run(async () => {
      const context = Context.current();
      heartbeatAtMostEverySecond(context, 'profile', 10_000);
      heartbeatAtMostEverySecond(context, 'media', 10_000 + HEARTBEAT_MIN_INTERVAL_MS - 1);
      heartbeatAtMostEverySecond(context, 'media', 10_000 + HEARTBEAT_MIN_INTERVAL_MS);
    });
    expect(sent).toEqual(['profile', 'media']);
  });

  it('throttles each activity on its own', async () => {
    const sent: string[] = [];
    const one = new MockActivityEnvironment();
    const other = new MockActivityEnvironment();
    one.on('heartbeat', () => sent.push('one'));
    other.on('heartbeat', () => sent.push('other'));
    await one.run(async () => heartbeatAtMostEverySecond(Context.current(), 'profile', 5_000));
    await other.run(async () => heartbeatAtMostEverySecond(Context.current(), 'profile', 5_000));
    expect(sent).toEqual(['one', 'other']);
  });
});
