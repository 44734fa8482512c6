import os from 'node:os';
import type { Deployment, FaultStack } from './fault-stack';

/** One printed line: `fault | held/FAILED | figures`. */
export interface ScenarioResult {
  fault: string;
  held: boolean;
  figures: string;
  /** Accounts a fleet sync under this fault did not sync (0 for API-only checks). */
  accountsLost: number;
  duplicates: number;
}

export interface ScenarioContext {
  stack: FaultStack;
  /** The undisturbed fleet sync's duration, once the reference scenario ran. */
  undisturbedMs: number | null;
  log(line: string): void;
}

export interface Scenario {
  /** For `--only`. */
  id: string;
  run(context: ScenarioContext): Promise<ScenarioResult[]>;
}

/** Bounds every fleet sync of the suite: far above any healthy run, so only a stuck run reaches it. */
export const FLEET_TIMEOUT_MS = 15 * 60_000;

export async function withDeployment<T>(
  context: ScenarioContext,
  label: string,
  body: (deployment: Deployment) => Promise<T>,
): Promise<T> {
  const deployment = await context.stack.deploy(label);
  try {
    return await body(deployment);
  } finally {
    await deployment.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The 1-minute load average, the figure `uptime` shows first: other work on the same cores. */
export function machineLoad(): string {
  return `load ${os.loadavg()[0].toFixed(2)}`;
}
