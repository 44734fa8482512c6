import fs from 'node:fs';
import path from 'node:path';

/** What src/devtools/tooling/bootstrap.js chose; `path: null` means "let the Temporal SDK download it". */
export interface ToolchainChoice {
  source: string;
  path: string | null;
}

export interface Toolchain {
  temporalCli: ToolchainChoice;
  testServer: ToolchainChoice;
}

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const TOOLCHAIN_FILE = path.join(PROJECT_ROOT, '.data', 'toolchain', 'toolchain.json');

export function readToolchain(file = TOOLCHAIN_FILE): Toolchain {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run "npm run bootstrap" (npm test and npm run dev run it for you)`);
  }
  return JSON.parse(raw) as Toolchain;
}
