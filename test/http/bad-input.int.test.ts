import { ERROR_CATALOGUE } from '../../src/errors';
import { signUpVerified, startApiHarness, type ApiHarness, type TestUser } from '../helpers/api';

jest.setTimeout(120_000);

interface BadInput {
  name: string;
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  /** A string is sent raw (with `type`), an object as JSON. */
  body?: unknown;
  type?: string;
  authed?: boolean;
  headers?: Record<string, string>;
  /** The expected status when one is certain; every case must at least be a 4xx. */
  status?: number;
  code?: string;
}

const UUID = '00000000-0000-4000-8000-000000000000';
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

const CASES: BadInput[] = [
  // Malformed JSON
  {
    name: 'truncated JSON',
    method: 'post',
    path: '/auth/login',
    body: '{"email": "a@b.co", ',
    type: 'application/json',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'single quotes',
    method: 'post',
    path: '/auth/login',
    body: "{'email': 'a@b.co'}",
    type: 'application/json',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'trailing comma',
    method: 'post',
    path: '/auth/signup/salon',
    body: '{"email":"a@b.co",}',
    type: 'application/json',
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'a bare string',
    method: 'post',
    path: '/auth/login',
    body: '"hello"',
    type: 'application/json',
    status: 400,
  },
  {
    name: 'an array',
    method: 'post',
    path: '/auth/login',
    body: '[1,2,3]',
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'null',
    method: 'post',
    path: '/auth/verify-otp',
    body: 'null',
    type: 'application/json',
    status: 400,
  },
  {
    name: 'deeply nested arrays',
    method: 'post',
    path: '/auth/login',
    body: deep(5_000),
    type: 'application/json',
    status: 400,
  },
  // Wrong types and missing fields
  {
    name: 'numbers for strings',
    method: 'post',
    path: '/auth/login',
    body: { email: 123, password: true },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an object for the otp',
    method: 'post',
    path: '/auth/verify-otp',
    body: { email: 'a@b.co', otp: { $gt: '' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a 5-digit otp',
    method: 'post',
    path: '/auth/verify-otp',
    body: { email: 'a@b.co', otp: '12345' },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an empty signup',
    method: 'post',
    path: '/auth/signup/influencer',
    body: {},
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'no body at all', method: 'post', path: '/auth/login', status: 400, code: 'VALIDATION_FAILED' },
  {
    name: 'a short password',
    method: 'post',
    path: '/auth/signup/salon',
    body: { email: 'a@b.co', password: 'short', name: 'N' },
    status: 400,
  },
  {
    name: 'a password over 72 bytes',
    method: 'post',
    path: '/auth/signup/salon',
    body: { email: 'a@b.co', password: 'é'.repeat(40), name: 'N' },
    status: 400,
  },
  {
    name: 'an unknown field',
    method: 'post',
    path: '/accounts/tiktok/connect',
    authed: true,
    body: { code: 'c', state: 's', admin: true },
    status: 400,
  },
  {
    name: '__proto__ smuggling',
    method: 'post',
    path: '/auth/login',
    body: '{"email":"a@b.co","password":"x","__proto__":{"role":"admin"}}',
    type: 'application/json',
    status: 400,
  },
  {
    name: 'a number for accountId',
    method: 'post',
    path: '/tiktok/sync',
    authed: true,
    body: { accountId: 42 },
    status: 400,
  },
  // Huge bodies and other media types
  {
    name: 'a 200 KiB body',
    method: 'post',
    path: '/auth/login',
    body: { email: 'a@b.co', password: 'x'.repeat(200 * 1024) },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'a 1 MiB body on an authed route',
    method: 'post',
    path: '/accounts/tiktok/connect',
    authed: true,
    body: { code: 'x'.repeat(1024 * 1024), state: 's' },
    status: 413,
  },
  {
    name: 'text/plain',
    method: 'post',
    path: '/auth/login',
    body: 'email=a@b.co',
    type: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a form',
    method: 'post',
    path: '/auth/login',
    body: 'email=a%40b.co&password=x',
    type: 'application/x-www-form-urlencoded',
    status: 415,
  },
  {
    name: 'XML',
    method: 'post',
    path: '/auth/signup/salon',
    body: '<user><email>a@b.co</email></user>',
    type: 'application/xml',
    status: 415,
  },
  // Unknown platforms, routes and methods
  {
    name: 'an unknown platform (authorize)',
    method: 'get',
    path: '/accounts/myspace/authorize-url',
    authed: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'an unknown platform (connect)',
    method: 'post',
    path: '/accounts/facebook/connect',
    authed: true,
    body: { code: 'c', state: 's' },
    status: 400,
  },
  {
    name: 'an unknown platform (sync)',
    method: 'post',
    path: '/myspace/sync',
    authed: true,
    status: 404,
    code: 'ROUTE_NOT_FOUND',
  },
  { name: 'an unknown route', method: 'get', path: '/nothing/here', status: 404, code: 'ROUTE_NOT_FOUND' },
  {
    name: 'a wrong method',
    method: 'put',
    path: '/accounts',
    authed: true,
    body: {},
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
  },
  // Bad ids
  { name: 'a numeric account id', method: 'get', path: '/accounts/123', authed: true, status: 400 },
  {
    name: 'an unknown (valid) account id',
    method: 'get',
    path: `/accounts/${UUID}`,
    authed: true,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'a bad notification id',
    method: 'post',
    path: '/notifications/not-a-uuid/read',
    authed: true,
    status: 400,
  },
  {
    name: 'a 5,000-character id',
    method: 'get',
    path: `/accounts/${'a'.repeat(5000)}/posts`,
    authed: true,
    status: 400,
  },
  {
    name: 'a path traversal id',
    method: 'get',
    path: '/accounts/..%2F..%2Fetc%2Fpasswd',
    authed: true,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'a bad workflow id',
    method: 'get',
    path: '/workflows/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    authed: true,
    status: 400,
  },
  {
    name: 'a bad schedule id',
    method: 'post',
    path: '/admin/schedules/x%20y/pause',
    authed: true,
    status: 403,
  },
  // SQL and script fragments
  {
    name: 'SQL in the email',
    method: 'post',
    path: '/auth/login',
    body: { email: "' OR 1=1 --", password: 'x' },
    status: 400,
  },
  {
    name: 'SQL in the password',
    method: 'post',
    path: '/auth/login',
    body: { email: 'nobody@socialsync.test', password: "' OR '1'='1" },
    status: 401,
    code: 'INVALID_CREDENTIALS',
  },
  {
    name: 'SQL in an id',
    method: 'delete',
    path: "/accounts/1';DROP%20TABLE%20users;--",
    authed: true,
    status: 400,
  },
  {
    name: 'SQL in a query parameter',
    method: 'get',
    path: `/accounts/${UUID}/posts?limit=1%20OR%201=1`,
    authed: true,
    status: 400,
  },
  {
    name: 'a script tag as email',
    method: 'post',
    path: '/auth/signup/influencer',
    body: { email: '<script>alert(1)</script>', password: 'long enough pw', name: 'x' },
    status: 400,
  },
  {
    name: 'a script tag as cursor',
    method: 'get',
    path: `/accounts/${UUID}/posts?cursor=%3Cscript%3E`,
    authed: true,
  },
  {
    name: 'a NUL byte in the email',
    method: 'post',
    path: '/auth/login',
    body: { email: 'a\u0000@b.co', password: 'x' },
    status: 400,
  },
  {
    name: 'an injected bearer token',
    method: 'get',
    path: '/accounts',
    headers: { Authorization: "Bearer ' OR 1=1 --" },
    status: 401,
    code: 'UNAUTHENTICATED',
  },
  // Query values out of range
  {
    name: 'a negative limit',
    method: 'get',
    path: `/accounts/${UUID}/posts?limit=-1`,
    authed: true,
    status: 400,
  },
  {
    name: 'a limit of 1e9',
    method: 'get',
    path: `/accounts/${UUID}/posts?limit=1e9`,
    authed: true,
    status: 400,
  },
  {
    name: 'zero days of history',
    method: 'get',
    path: `/accounts/${UUID}/history?days=0`,
    authed: true,
    status: 400,
  },
  {
    name: 'a non-boolean unreadOnly',
    method: 'get',
    path: '/notifications?unreadOnly=maybe',
    authed: true,
    status: 400,
  },
];

describe('bad input never causes a 5xx: every answer is a 4xx with the error envelope', () => {
  let h: ApiHarness;
  let user: TestUser;
  beforeAll(async () => {
    h = await startApiHarness({ label: 'bad-input' });
    user = await signUpVerified(h);
  });
  afterAll(() => h?.close());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    let req = h.request[c.method](`/api/v1${c.path}`);
    if (c.authed) req = req.set(user.auth);
    if (c.headers) req = req.set(c.headers);
    if (typeof c.body === 'string') req = req.set('Content-Type', c.type ?? 'application/json').send(c.body);
    else if (c.body !== undefined) req = req.send(c.body as object);
    const res = await req;

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    if (c.status) expect(res.status).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(ERROR_CATALOGUE)).toContain(res.body.error);
    expect(ERROR_CATALOGUE[res.body.error as keyof typeof ERROR_CATALOGUE]).toBe(res.status);
    expect(typeof res.body.message).toBe('string');
    expect(Object.keys(res.body).every((key) => ['error', 'message', 'details'].includes(key))).toBe(true);
    if (c.code) expect(res.body.error).toBe(c.code);
    if (res.body.error === 'VALIDATION_FAILED') {
      expect(res.body.details.length).toBeGreaterThan(0);
      for (const problem of res.body.details)
        expect(problem).toEqual({
          field: expect.stringMatching(/^(body|query|params)/),
          message: expect.any(String),
        });
    }
  });

  it('names every bad field of a request', async () => {
    const res = await h.request
      .post('/api/v1/auth/signup/salon')
      .send({ email: 'not-an-email', password: 1 });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'body.email',
      'body.name',
      'body.password',
    ]);
    expect(res.body.message).toBe('Invalid input: body.email, body.password, body.name.');
  });

  it('answers 405 with an Allow header naming the methods the path has', async () => {
    const res = await h.request.put('/api/v1/accounts').set(user.auth).send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('GET');
    expect(res.body.error).toBe('METHOD_NOT_ALLOWED');
  });

  it('leaves the users table intact after the SQL fragments', async () => {
    const res = await h.request
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(res.status).toBe(200);
  });
});
