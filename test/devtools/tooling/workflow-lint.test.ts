import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PROJECT_CONFIG = require(path.join(ROOT, 'eslint.config.js')) as ESLint.Options['overrideConfig'];

async function lintWorkflowSource(source: string): Promise<string[]> {
  // The config is passed in, not discovered: ESLint's own discovery uses a dynamic import jest's VM refuses.
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: PROJECT_CONFIG });
  const [result] = await eslint.lintText(source, { filePath: path.join(ROOT, 'workflows', 'lint-probe.ts') });
  return result.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

describe('lint rules for workflows/**', () => {
  it.each([
    ["import fs from 'node:fs';", 'Node built-ins'],
    ["import { createHash } from 'crypto';", 'Node built-ins'],
    ["import { loadConfig } from '../src/config';", 'import src/** as types only'],
    ["import { createActivities } from '../activities';", 'as types only'],
  ])('rejects %s', async (statement, reason) => {
    const messages = await lintWorkflowSource(
      `${statement}\nexport const probe = [${statement.match(/import \{? ?(\w+)/)![1]}];\n`,
    );
    expect(messages.join('\n')).toContain(reason);
  });

  it('allows the workflow SDK, contract.ts and type-only activity and src imports', async () => {
    const messages = await lintWorkflowSource(
      [
        "import { proxyActivities } from '@temporalio/workflow';",
        "import type { Activities } from '../activities';",
        "import type { Platform } from '../src/platforms/types';",
        "import { DEFAULT_TASK_QUEUE } from './contract';",
        "export const probe = [proxyActivities, DEFAULT_TASK_QUEUE, 'tiktok' as Platform] as unknown as Activities;",
        '',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });
});
