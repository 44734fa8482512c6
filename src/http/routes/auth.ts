import { z } from 'zod';
import type { AuthService, SignupRole } from '../../auth/auth-service';
import { defineRoute, type RouteDefinition } from '../openapi/route';
import { presentUser } from '../presenters';
import { authResultSchema, userSchema } from '../schemas';
import { loginBody, signupBody, verifyOtpBody } from './auth.schemas';
import { LOGIN_EXAMPLES, SIGNUP_EXAMPLES } from './examples';

const signupResult = z.object({ user: userSchema, message: z.string() });

function signupRoute(auth: AuthService, role: SignupRole): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: `/auth/signup/${role}`,
    operationId: `signup${role[0].toUpperCase()}${role.slice(1)}`,
    tag: 'auth',
    summary: `Sign up as ${role === 'salon' ? 'a salon' : 'an influencer'}`,
    description:
      'Creates an unverified user and mails a 6-digit code (10-minute life, 5 tries). Signing up again with an ' +
      'unverified email replaces the pending password and sends a new code.',
    auth: 'none',
    rateLimit: 'auth',
    body: signupBody,
    success: { status: 201, description: 'Code sent', schema: signupResult },
    examples: SIGNUP_EXAMPLES,
    errors: [
      'VALIDATION_FAILED',
      'INVALID_JSON',
      'EMAIL_TAKEN',
      'PAYLOAD_TOO_LARGE',
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    handler: async (ctx, { body }) => {
      const user = await auth.signup(ctx.state.em, role, body);
      return { user: presentUser(user), message: 'A verification code was sent to your email.' };
    },
  });
}

export function authRoutes(auth: AuthService): RouteDefinition[] {
  return [
    signupRoute(auth, 'influencer'),
    signupRoute(auth, 'salon'),
    defineRoute({
      method: 'post',
      path: '/auth/verify-otp',
      operationId: 'verifyOtp',
      tag: 'auth',
      summary: 'Verify the emailed code; returns a token',
      auth: 'none',
      rateLimit: 'auth',
      body: verifyOtpBody,
      success: { status: 200, description: 'Verified', schema: authResultSchema },
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_OTP', 'OTP_EXPIRED', 'TOO_MANY_ATTEMPTS'],
      handler: async (ctx, { body }) => presentAuthResult(await auth.verifyOtp(ctx.state.em, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/login',
      operationId: 'login',
      tag: 'auth',
      summary: 'Log in; returns a token',
      description: 'An unknown email and a wrong password get the same answer.',
      auth: 'none',
      rateLimit: 'auth',
      body: loginBody,
      success: { status: 200, description: 'Logged in', schema: authResultSchema },
      examples: LOGIN_EXAMPLES,
      errors: ['VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'EMAIL_NOT_VERIFIED'],
      handler: async (ctx, { body }) => presentAuthResult(await auth.login(ctx.state.em, body)),
    }),
  ];
}

function presentAuthResult(result: Awaited<ReturnType<AuthService['login']>>) {
  return {
    token: result.token,
    tokenType: 'Bearer' as const,
    expiresIn: result.expiresIn,
    user: presentUser(result.user),
  };
}
