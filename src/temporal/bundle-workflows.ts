/**
 * `npm run build:workflows [-- DIR]`: writes the worker's workflow bundle into DIR (default .data/build), as
 * the worker would build it on its first start; a Docker image runs it at build time so no container spends
 * its start (and its memory) on webpack. The worker also runs this file, in a child process, when the
 * bundle for the current workflow code is missing (workflow-bundle.ts).
 */
import path from 'node:path';
import { workflowCodeHash, writeWorkflowBundle } from './workflow-bundle';

const target = process.argv[2] ?? path.join('.data', 'build');
const outPath = target.endsWith('.js') ? target : path.join(target, `workflows-${workflowCodeHash()}.js`);

writeWorkflowBundle(path.resolve(outPath)).then(
  () => process.stdout.write(`${outPath}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
