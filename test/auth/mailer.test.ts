import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMailer, readOutbox } from '../../src/auth/mailer';
import { createLogger } from '../../src/logger';

describe('mailer', () => {
  it('without SMTP_URL writes one JSON line per mail to the outbox, creating its folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    const outboxFile = path.join(dir, 'nested', 'outbox.jsonl');
    const mailer = createMailer({
      smtpUrl: undefined,
      from: 'socialsync <no-reply@x.test>',
      outboxFile,
      logger: createLogger({ level: 'silent', name: 't' }),
    });
    expect(mailer.kind).toBe('outbox');
    await mailer.send({ to: 'a@x.test', subject: 'one', text: 'code 123456' });
    await mailer.send({ to: 'b@x.test', subject: 'two', text: 'line\nbreak' });
    const mails = await readOutbox(outboxFile);
    expect(mails).toEqual([
      expect.objectContaining({
        to: 'a@x.test',
        subject: 'one',
        text: 'code 123456',
        from: 'socialsync <no-reply@x.test>',
      }),
      expect.objectContaining({ to: 'b@x.test', text: 'line\nbreak' }),
    ]);
    expect(fs.readFileSync(outboxFile, 'utf8').trim().split('\n')).toHaveLength(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('with SMTP_URL uses nodemailer', () => {
    const mailer = createMailer({
      smtpUrl: 'smtp://127.0.0.1:2525',
      from: 'x@x.test',
      outboxFile: '/nonexistent',
      logger: createLogger({ level: 'silent', name: 't' }),
    });
    expect(mailer.kind).toBe('smtp');
  });

  it('reads a missing outbox as empty', async () => {
    expect(await readOutbox(path.join(os.tmpdir(), 'no-such-outbox.jsonl'))).toEqual([]);
  });
});
