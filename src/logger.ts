import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Every key that can hold a secret, at any depth we log. pino's redaction is the second line of defence:
 * the first is never putting a token or password in a log call at all.
 */
export const REDACTED_PATHS = [
  'password',
  'passwordHash',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'token',
  'otp',
  'clientSecret',
  'client_secret',
  'authorization',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.otp',
  '*.clientSecret',
  '*.client_secret',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-cron-secret"]',
  'req.headers.cookie',
];

export interface LoggerOptions {
  level: string;
  name: string;
  /** Defaults to stdout; tests pass a stream to assert on what was logged. */
  destination?: pino.DestinationStream;
}

export function createLogger({ level, name, destination }: LoggerOptions): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
