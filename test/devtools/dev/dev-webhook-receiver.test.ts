import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provideDevWebhookReceiver, type DevWebhooks } from '../../../src/devtools/dev/dev-webhook-receiver';
import { postSignedWebhook } from '../../../src/webhooks/signed-post';

/** The receiver `npm run dev` starts when NOTIFY_WEBHOOK_URL is unset: real HTTP on 127.0.0.1, a real file. */
describe('npm run dev webhook receiver', () => {
  let dir: string;
  let receiver: DevWebhooks;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socialsync-dev-webhooks-'));
    receiver = await provideDevWebhookReceiver({}, dir);
  });
  afterEach(async () => {
    await receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (
    body: object,
    secret = receiver.env.NOTIFY_WEBHOOK_SECRET,
    id = (body as { id: string }).id,
  ) =>
    postSignedWebhook(
      { url: receiver.env.NOTIFY_WEBHOOK_URL, secret, timeoutMs: 5_000 },
      { id, body: JSON.stringify(body) },
    );
  const written = () =>
    fs.existsSync(receiver.file!)
      ? fs
          .readFileSync(receiver.file!, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];
  const event = (id: string, sentAt = new Date().toISOString()) => ({
    id,
    kind: 'account.synced',
    sentAt,
    data: { accountId: 'a' },
  });

  it('gives the worker a URL and secret, and writes each verified event once', async () => {
    expect(receiver.env.NOTIFY_WEBHOOK_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks$/);
    expect(receiver.file).toBe(path.join(dir, 'webhook-events.jsonl'));
    expect(await send(event('e1'))).toEqual({ kind: 'delivered', status: 204 });
    expect(await send(event('e1'))).toEqual({ kind: 'delivered', status: 204 }); // a repeat: accepted, not written
    expect(await send(event('e2'))).toEqual({ kind: 'delivered', status: 204 });
    expect(written().map((line) => [line.id, line.kind])).toEqual([
      ['e1', 'account.synced'],
      ['e2', 'account.synced'],
    ]);
  });

  it('refuses a wrong signature, a stale request and a delivery id that is not the event id', async () => {
    expect(await send(event('x1'), 'not-the-secret')).toEqual({ kind: 'rejected', status: 401 });
    expect(await send(event('x2', new Date(Date.now() - 10 * 60_000).toISOString()))).toEqual({
      kind: 'rejected',
      status: 401,
    });
    expect(await send(event('x3'), undefined, 'another-id')).toEqual({ kind: 'rejected', status: 401 });
    expect(written()).toEqual([]);
  });

  it('stays out of the way when NOTIFY_WEBHOOK_URL is set', async () => {
    const configured = await provideDevWebhookReceiver(
      { NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/x' },
      dir,
    );
    expect(configured).toMatchObject({ env: {}, file: null });
    expect(configured.source).toContain('https://hooks.example.com/x');
  });
});
