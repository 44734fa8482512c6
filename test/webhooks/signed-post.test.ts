import { createHmac } from 'node:crypto';
import { postSignedWebhook, signWebhookBody, verifyWebhookSignature } from '../../src/webhooks/signed-post';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = 'webhook-secret-for-tests';

describe('notification webhook signing and delivery (local HTTP receiver)', () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    await receiver.close();
  });

  const target = () => ({ url: receiver.url, secret: SECRET, timeoutMs: 5000 });

  it('POSTs the exact body with an HMAC-SHA256 signature over it and the delivery id', async () => {
    const body = JSON.stringify({
      id: 'n-1',
      kind: 'reauth_required',
      payload: { accountId: 'a-1', errorCode: 'TT_invalid_grant' },
    });
    const reply = await postSignedWebhook(target(), { id: 'n-1', body });
    expect(reply).toEqual({ kind: 'delivered', status: 204 });
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request.body).toBe(body);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-socialsync-delivery']).toBe('n-1');
    // Computed here independently of the code under test.
    const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    expect(request.headers['x-socialsync-signature']).toBe(expected);
    expect(verifyWebhookSignature(request.body, SECRET, expected)).toBe(true);
  });

  it('lets a receiver reject a tampered body, a wrong secret or a missing signature', () => {
    const body = '{"id":"n-2"}';
    const signature = signWebhookBody(body, SECRET);
    expect(verifyWebhookSignature('{"id":"n-3"}', SECRET, signature)).toBe(false);
    expect(verifyWebhookSignature(body, 'another-secret', signature)).toBe(false);
    expect(verifyWebhookSignature(body, SECRET, undefined)).toBe(false);
    expect(verifyWebhookSignature(body, SECRET, 'sha256=00')).toBe(false);
  });

  it('classifies answers: 5xx and 429 are retried (with Retry-After), other 4xx are final', async () => {
    receiver.answerWith([503, 429, 400]);
    const delivery = { id: 'n-4', body: '{}' };
    await expect(postSignedWebhook(target(), delivery)).resolves.toEqual({
      kind: 'retry',
      reason: 'HTTP_503',
      retryAfterMs: null,
    });
    await expect(postSignedWebhook(target(), delivery)).resolves.toEqual({
      kind: 'retry',
      reason: 'HTTP_429',
      retryAfterMs: 1000,
    });
    await expect(postSignedWebhook(target(), delivery)).resolves.toEqual({ kind: 'rejected', status: 400 });
  });

  it('reports an unreachable receiver as retryable, and sends no signature without a secret', async () => {
    const url = receiver.url;
    await receiver.close();
    await expect(
      postSignedWebhook({ url, secret: SECRET, timeoutMs: 2000 }, { id: 'n-5', body: '{}' }),
    ).resolves.toMatchObject({
      kind: 'retry',
      reason: 'NETWORK',
    });
    receiver = await startWebhookReceiver();
    await expect(
      postSignedWebhook({ url: receiver.url, secret: undefined, timeoutMs: 2000 }, { id: 'n-6', body: '{}' }),
    ).resolves.toEqual({ kind: 'delivered', status: 204 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].headers['x-socialsync-delivery']).toBe('n-6');
    expect(receiver.received[0].headers['x-socialsync-signature']).toBeUndefined();
  });
});
