import { parseArgs } from 'node:util';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { emailSchema, passwordSchema } from '../http/routes/auth.schemas';
import { upsertAdmin } from './auth-service';

export const CREATE_ADMIN_USAGE = `npm run admin -- create-admin --email <email> (--password <password> | --password-stdin) [--name <name>]

Creates an administrator, or makes an existing user one with the given password (verified, role admin).
Administrators are never created through sign-up. --password-stdin reads the password from the first line
of standard input, keeping it out of the shell history and the process list.`;

export interface CreateAdminArgs {
  email: string;
  password: string;
  name: string;
}

const argsSchema = z.object({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().max(200).default(''),
});

export class UsageError extends Error {}

/** Parses and validates `create-admin` options; the password comes from the flag or from `readStdin`. */
export async function parseCreateAdminArgs(
  argv: string[],
  readStdin: () => Promise<string>,
): Promise<CreateAdminArgs> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        // No default here: without --name a promoted user keeps their name (upsertAdmin's fallback).
        name: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const password = values['password-stdin'] ? (await readStdin()).split(/\r?\n/)[0] : values.password;
  const parsed = argsSchema.safeParse({ email: values.email, password, name: values.name });
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'),
    );
  }
  return parsed.data;
}

export async function runCreateAdmin(em: EntityManager, args: CreateAdminArgs): Promise<string> {
  const { user, created } = await upsertAdmin(em, args);
  return created
    ? `Created admin ${user.email} (id ${user.id}). Log in with POST /api/v1/auth/login.`
    : `${user.email} (id ${user.id}) is now an admin with the new password.`;
}
