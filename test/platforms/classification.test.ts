import { createInstagramClient, createTikTokClient } from '../../src/platforms';
import {
  parseAnswerBody,
  parseJsonLosslessly,
  parseRetryAfterMs,
  scrubSecrets,
  type FetchLike,
} from '../../src/platforms/http';
import { parseUsageHeaders } from '../../src/platforms/instagram';
import { makeTestConfig } from '../helpers/config';
import { expectPlatformError } from './support';

/** Canned answers for the codes the simulator has no natural way to produce. */
function answering(status: number, body: unknown, headers: Record<string, string> = {}): FetchLike {
  return async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers });
}

const config = makeTestConfig();
const instagram = (fetch: FetchLike) => createInstagramClient(config, { fetch });
const tiktok = (fetch: FetchLike) => createTikTokClient(config, { fetch });
const graphError = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: 'm', type: 'OAuthException', code, fbtrace_id: 'trace-1', ...extra },
});

describe('Instagram error table', () => {
  it.each([
    [102, undefined, 'auth_revoked'],
    [190, 464, 'auth_revoked'],
    [32, undefined, 'rate_limited'],
    [80002, undefined, 'rate_limited'],
    [1, undefined, 'transient'],
    [10, undefined, 'permission_missing'],
    [200, undefined, 'permission_missing'],
    [3, undefined, 'invalid_request'],
    [100, undefined, 'invalid_request'],
    [803, undefined, 'invalid_request'],
  ])('code %i/%s is %s', async (code, error_subcode, kind) => {
    const error = await expectPlatformError(
      instagram(answering(400, graphError(code, { error_subcode }))).getProfile('t'),
    );
    expect(error).toMatchObject({ kind, requestId: 'trace-1' });
  });

  it('trusts is_transient for an unlisted code', async () => {
    const error = await expectPlatformError(
      instagram(answering(400, graphError(12345, { is_transient: true }))).getProfile('t'),
    );
    expect(error.kind).toBe('transient');
  });

  it('prefers Retry-After when no business-use-case hint is sent', async () => {
    const error = await expectPlatformError(
      instagram(answering(400, graphError(4), { 'retry-after': '120' })).getProfile('t'),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000 });
  });

  it('reads an error envelope even under HTTP 200', async () => {
    await expect(instagram(answering(200, graphError(190))).getProfile('t')).rejects.toMatchObject({
      kind: 'auth_revoked',
    });
  });

  it('is transient for a bare 5xx page and invalid_request for a bare 4xx one', async () => {
    await expect(instagram(answering(503, '<html>down</html>')).getProfile('t')).rejects.toMatchObject({
      kind: 'transient',
      code: 'HTTP_503',
    });
    await expect(instagram(answering(404, 'nope')).getProfile('t')).rejects.toMatchObject({
      kind: 'invalid_request',
      code: 'HTTP_404',
    });
  });

  it('calls a valid JSON body of the wrong shape MALFORMED, naming paths only', async () => {
    const error = await expectPlatformError(
      instagram(answering(200, { user_id: 'secret-value', username: 5 })).getProfile('t'),
    );
    expect(error).toMatchObject({ kind: 'transient', code: 'MALFORMED' });
    expect(error.message).not.toContain('secret-value');
  });
});

describe('TikTok error table', () => {
  const apiError = (code: string) => ({ data: {}, error: { code, message: 'm', log_id: 'log-1' } });

  it.each([
    ['invalid_params', 'invalid_request'],
    ['some_future_code', 'invalid_request'],
    ['scope_permission_missed', 'permission_missing'],
  ])('%s under HTTP 200 is %s', async (code, kind) => {
    const error = await expectPlatformError(tiktok(answering(200, apiError(code))).getProfile('t'));
    expect(error).toMatchObject({ kind, code: `TT_${code}`, requestId: 'log-1', httpStatus: 200 });
  });

  it('honours Retry-After on 429 when one is sent', async () => {
    const error = await expectPlatformError(
      tiktok(answering(429, apiError('rate_limit_exceeded'), { 'retry-after': '7' })).getProfile('t'),
    );
    expect(error.retryAfterMs).toBe(7000);
  });

  it('takes the x-tt-logid header when the body has no log_id', async () => {
    const error = await expectPlatformError(
      tiktok(answering(502, 'bad gateway', { 'x-tt-logid': 'hdr-log' })).getProfile('t'),
    );
    expect(error).toMatchObject({ kind: 'transient', requestId: 'hdr-log' });
  });

  it.each([
    ['invalid_client', 'invalid_request'],
    ['server_error', 'transient'],
    ['access_denied', 'auth_revoked'],
  ])('OAuth %s is %s', async (code, kind) => {
    await expect(
      tiktok(answering(400, { error: code, error_description: 'd', log_id: 'l' })).exchangeCode('c'),
    ).rejects.toMatchObject({ kind, code: `TT_${code}` });
  });
});

describe('HTTP helpers', () => {
  it('keeps integers above 2^53 as exact digit strings, other numbers as numbers', () => {
    expect(parseJsonLosslessly('{"a":17841405793187218,"b":12,"c":1.5}')).toEqual({
      a: '17841405793187218',
      b: 12,
      c: 1.5,
    });
    expect(parseJsonLosslessly('{"broken":')).toBeUndefined();
  });

  it('parses answers with JSON.parse unless the call may carry integers above 2^53', () => {
    const body = '{"user_id":17841405793187219,"n":12}';
    expect(parseAnswerBody(body, { largeIntegers: true })).toEqual({ user_id: '17841405793187219', n: 12 });
    // What JSON.parse does to such an id (an odd number past 2^53 has no double), hence the opt-out.
    const rounded = parseAnswerBody(body, {}) as { user_id: number };
    expect(String(rounded.user_id)).not.toBe('17841405793187219');
    expect(parseAnswerBody('not json', {})).toBeUndefined();
    expect(parseAnswerBody('  ', { largeIntegers: true })).toBeUndefined();
  });

  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('30', now)).toBe(30_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
  });

  it('parses both usage headers and keeps the highest percentage', () => {
    const usage = parseUsageHeaders(
      new Headers({
        'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}',
        'x-business-use-case-usage':
          '{"17841400000000000":[{"type":"instagram","call_count":95,"total_cputime":10,"total_time":25,"estimated_time_to_regain_access":3}]}',
      }),
    );
    expect(usage).toEqual({
      maxPercent: 95,
      appUsage: { callCount: 28, totalTime: 25, totalCputime: 25 },
      businessUseCase: { callCount: 95, totalTime: 25, totalCputime: 10, regainAccessSeconds: 180 },
    });
    expect(parseUsageHeaders(new Headers())).toBeNull();
  });

  it('cuts secrets and token-shaped query parameters out of quoted messages', () => {
    expect(
      scrubSecrets('bad token IGAAsecret1234 in https://x/?access_token=abc&x=1', ['IGAAsecret1234']),
    ).toBe('bad token [redacted] in https://x/?access_token=[redacted]&x=1');
  });
});
