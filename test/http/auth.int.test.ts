import { User } from '../../src/db/entities';
import { readOutbox } from '../../src/auth/mailer';
import { createAdmin, readLatestOtp, signUpVerified, startApiHarness, type ApiHarness } from '../helpers/api';

// The integration project's testTimeout does not reach test files (jest reads it globally): set it here.
jest.setTimeout(120_000);

describe('auth routes (real PostgreSQL, Redis, Temporal)', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({ label: 'auth' });
  });
  afterAll(() => h?.close());

  const signup = (role: string, body: Record<string, unknown>) =>
    h.request.post(`/api/v1/auth/signup/${role}`).send(body);
  const uniqueEmail = (tag: string) =>
    `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@socialsync.test`;

  it.each(['influencer', 'salon'])(
    'signs up a %s: 201, unverified, a 6-digit code mailed to the outbox and stored hashed',
    async (role) => {
      const email = uniqueEmail(role);
      const res = await signup(role, { email: email.toUpperCase(), password: 'long enough pw', name: 'Ann' });
      expect(res.status).toBe(201);
      expect(res.body.user).toMatchObject({ email, role, verified: false, name: 'Ann' });
      expect(res.body.user).not.toHaveProperty('passwordHash');
      const otp = await readLatestOtp(h.outboxFile, email);
      expect(otp).toMatch(/^\d{6}$/);
      const row = await h.db.orm.em.fork().findOneOrFail(User, { email });
      expect(row.otpHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.otpHash).not.toContain(otp);
      expect(row.passwordHash).toMatch(/^\$2[aby]\$10\$/);
      const expiresInMs = row.otpExpiresAt!.getTime() - Date.now();
      expect(expiresInMs).toBeGreaterThan(9 * 60_000);
      expect(expiresInMs).toBeLessThanOrEqual(10 * 60_000);
    },
  );

  it('verifies the code: 200 with a token that authenticates', async () => {
    const user = await signUpVerified(h);
    const accounts = await h.request.get('/api/v1/accounts').set(user.auth);
    expect(accounts.status).toBe(200);
    expect(accounts.body).toEqual({ accounts: [] });
  });

  it('refuses a wrong code with INVALID_OTP and tries left, then TOO_MANY_ATTEMPTS after 5 tries (even with the right code)', async () => {
    const email = uniqueEmail('tries');
    await signup('influencer', { email, password: 'long enough pw', name: 'Bo' });
    const otp = await readLatestOtp(h.outboxFile, email);
    const wrong = otp === '000000' ? '111111' : '000000';
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp: wrong });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'INVALID_OTP', details: { attemptsLeft: 5 - attempt } });
    }
    const sixth = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp });
    expect(sixth.status).toBe(429);
    expect(sixth.body.error).toBe('TOO_MANY_ATTEMPTS');
    // Signing up again sends a fresh code and resets the tries.
    await signup('influencer', { email, password: 'another long pw', name: 'Bo' });
    const fresh = await readLatestOtp(h.outboxFile, email);
    const verified = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp: fresh });
    expect(verified.status).toBe(200);
    const login = await h.request.post('/api/v1/auth/login').send({ email, password: 'another long pw' });
    expect(login.status).toBe(200);
  });

  it('refuses an expired code with OTP_EXPIRED (410)', async () => {
    const email = uniqueEmail('expired');
    await signup('salon', { email, password: 'long enough pw', name: 'Cy' });
    const otp = await readLatestOtp(h.outboxFile, email);
    await h.db.orm.em.fork().nativeUpdate(User, { email }, { otpExpiresAt: new Date(Date.now() - 1000) });
    const res = await h.request.post('/api/v1/auth/verify-otp').send({ email, otp });
    expect(res.status).toBe(410);
    expect(res.body.error).toBe('OTP_EXPIRED');
  });

  it('answers INVALID_OTP for an unknown email (no enumeration)', async () => {
    const res = await h.request
      .post('/api/v1/auth/verify-otp')
      .send({ email: uniqueEmail('nobody'), otp: '123456' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('INVALID_OTP');
  });

  it('logs in: 200 with a token; an unknown email and a wrong password get byte-identical answers', async () => {
    const user = await signUpVerified(h, 'salon');
    const ok = await h.request
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: h.config.auth.jwtTtlSeconds,
      user: { id: user.id, role: 'salon' },
    });
    const wrongPassword = await h.request
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: 'not the password' });
    const unknownEmail = await h.request
      .post('/api/v1/auth/login')
      .send({ email: uniqueEmail('ghost'), password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(wrongPassword.text).toBe(unknownEmail.text);
    expect(wrongPassword.body).toEqual({
      error: 'INVALID_CREDENTIALS',
      message: 'Invalid email or password.',
    });
  });

  it('refuses login before verification with EMAIL_NOT_VERIFIED (403)', async () => {
    const email = uniqueEmail('unverified');
    await signup('influencer', { email, password: 'long enough pw', name: 'Di' });
    const res = await h.request.post('/api/v1/auth/login').send({ email, password: 'long enough pw' });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('EMAIL_NOT_VERIFIED');
  });

  it('refuses a verified email at sign-up with EMAIL_TAKEN (409)', async () => {
    const user = await signUpVerified(h);
    const res = await signup('salon', { email: user.email, password: 'long enough pw', name: 'Ed' });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('EMAIL_TAKEN');
  });

  it('never makes an admin through sign-up: a role field is refused and /signup/admin does not exist', async () => {
    const withRole = await signup('influencer', {
      email: uniqueEmail('role'),
      password: 'long enough pw',
      name: 'Fe',
      role: 'admin',
    });
    expect(withRole.status).toBe(400);
    expect(withRole.body.details).toEqual([expect.objectContaining({ field: 'body' })]);
    const adminPath = await signup('admin', {
      email: uniqueEmail('admin'),
      password: 'long enough pw',
      name: 'Gu',
    });
    expect(adminPath.status).toBe(404);
    expect(adminPath.body.error).toBe('ROUTE_NOT_FOUND');
  });

  it('lets an admin made by upsertAdmin (npm run admin -- create-admin) log in with the admin role', async () => {
    const admin = await createAdmin(h);
    const res = await h.request
      .post('/api/v1/auth/login')
      .send({ email: admin.email, password: admin.password });
    expect(res.status).toBe(200);
    expect(res.body.user.role).toBe('admin');
  });

  it.each([
    ['no header', {}],
    ['a malformed header', { Authorization: 'Token abc' }],
    ['a forged token', { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }],
  ])('answers 401 UNAUTHENTICATED with %s', async (_label, headers) => {
    const res = await h.request.get('/api/v1/accounts').set(headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('UNAUTHENTICATED');
  });

  it('never writes passwords or codes to the log', async () => {
    const user = await signUpVerified(h);
    const mails = await readOutbox(h.outboxFile);
    const codes = mails.map((mail) => /\d{6}/.exec(mail.text)![0]);
    const logged = JSON.stringify(h.logs.lines);
    expect(logged).not.toContain(user.password);
    for (const code of codes) expect(logged).not.toContain(`is ${code}`);
    expect(logged).not.toContain(user.token);
  });
});
