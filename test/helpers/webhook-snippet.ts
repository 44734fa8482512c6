import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/devtools/tooling/toolchain';

export type VerifyWebhook = (
  rawBody: string,
  headers: Record<string, unknown>,
  secret: string,
  now?: number,
) => { id: string; kind: string; sequence: number; sentAt: string; data: Record<string, unknown> } | null;

/**
 * The signature check exactly as docs/webhooks.md prints it for receivers (the block between its
 * verify-snippet markers), compiled here so the tests run what a reader would copy.
 */
export function loadDocumentedVerifier(): VerifyWebhook {
  const doc = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'webhooks.md'), 'utf8');
  const block = /<!-- verify-snippet:start -->\s*```js\n([\s\S]*?)```\s*<!-- verify-snippet:end -->/.exec(
    doc,
  );
  if (!block) throw new Error('docs/webhooks.md has no verify-snippet block');
  return new Function('require', `${block[1]}\nreturn verifySocialsyncWebhook;`)(require) as VerifyWebhook;
}
