import { z } from 'zod';
import { MAX_PASSWORD_BYTES } from '../../auth/passwords';

export const emailSchema = z.email({ error: 'must be an email address' }).max(320);

export const passwordSchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .refine(
    (value) => Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES,
    `must be at most ${MAX_PASSWORD_BYTES} bytes`,
  );

export const signupBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1, 'must not be empty').max(200),
});

export const verifyOtpBody = z.strictObject({
  email: emailSchema,
  otp: z.string().regex(/^\d{6}$/, 'must be the 6-digit code'),
});

/** Login does not re-check password rules: a wrong password is just wrong (same answer as an unknown email). */
export const loginBody = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
});
