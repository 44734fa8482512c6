import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../auth/create-admin-command';

export { UsageError };

/** A command that ran but whose outcome is a failure (a followed run failed): message on stderr, exit 1. */
export class CommandFailedError extends Error {}

/** Where a command writes: the result on `out` (pipeable), progress and notes on `err`. */
export interface CommandOutput {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs in strict mode, its complaints turned into a UsageError (usage printed, exit 1). */
export function parseCommandArgs<T extends Options>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A number option: absent -> undefined; present -> a finite number at least `min`, or a UsageError. */
export function numberOption(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min)
    throw new UsageError(`--${name} must be a number of at least ${min} (got "${raw}")`);
  return value;
}
