/**
 * `npx tsx src/devtools/bench/cpu-profile-top.ts FILE.cpuprofile [--top 25]`
 * The functions a V8 CPU profile (node --cpu-prof) spent the most self time in, grouped by function and file,
 * with the share of all samples: what the benchmarks' closing figures quote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const profile = JSON.parse(fs.readFileSync(positionals[0], 'utf8')) as CpuProfile;
const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMs = new Map<string, number>();
let totalMs = 0;
profile.samples.forEach((id, i) => {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  totalMs += ms;
  const frame = byNode.get(id)!.callFrame;
  const key = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}`;
  selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
});
const rows = [...selfMs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
process.stdout.write(`${path.basename(positionals[0])}: ${(totalMs / 1000).toFixed(1)} s sampled\n`);
for (const [key, ms] of rows)
  process.stdout.write(`${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${key}\n`);

/** node_modules/<package> or the project path; node internals keep their `node:` name. */
function where(url: string): string {
  if (!url) return '';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0)
    return url
      .slice(modules + 'node_modules/'.length)
      .split('/')
      .slice(0, 2)
      .join('/');
  return url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
}
