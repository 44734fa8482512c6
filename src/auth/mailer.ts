import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** One interface for every way mail leaves the service. */
export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(message: MailMessage): Promise<void>;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  from: string;
  outboxFile: string;
  logger: Logger;
}

/** SMTP when SMTP_URL is set; otherwise the JSON-lines outbox, so local use and tests need no mail server. */
export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl
    ? createSmtpMailer(options.smtpUrl, options.from, options.logger)
    : createOutboxMailer(options);
}

export function createSmtpMailer(smtpUrl: string, from: string, logger: Logger): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    kind: 'smtp',
    send: async ({ to, subject, text }) => {
      const info = await transport.sendMail({ from, to, subject, text });
      logger.info({ messageId: info.messageId, subject }, 'mail sent');
    },
  };
}

/** One JSON object a line: `{ sentAt, from, to, subject, text }`. Appends are atomic for lines this short. */
export function createOutboxMailer({
  outboxFile,
  from,
  logger,
}: Pick<MailerOptions, 'outboxFile' | 'from' | 'logger'>): Mailer {
  return {
    kind: 'outbox',
    send: async ({ to, subject, text }) => {
      await fs.mkdir(path.dirname(outboxFile), { recursive: true });
      const line = JSON.stringify({ sentAt: new Date().toISOString(), from, to, subject, text });
      await fs.appendFile(outboxFile, `${line}\n`, 'utf8');
      logger.info({ outboxFile, subject }, 'mail written to the outbox (no SMTP_URL)');
    },
  };
}

export interface OutboxEntry extends MailMessage {
  sentAt: string;
  from: string;
}

/** Reads the outbox (tests, and the dev stack's "read your code" hint). */
export async function readOutbox(outboxFile: string): Promise<OutboxEntry[]> {
  const content = await fs.readFile(outboxFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return content
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OutboxEntry);
}
