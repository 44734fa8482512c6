/**
 * What the integration global set-up started for this run, handed to test files through environment
 * variables (jest forks its workers after global set-up, so they inherit them).
 */
export interface IntegrationEnv {
  runId: string;
  temporalAddress: string;
  /** A migrated database; each test file clones it (createTestDatabase) so files never see each other's rows. */
  templateDatabase: string;
  postgresUrl: string;
  redisUrl: string;
  /** Every Redis key a test writes starts with this; global teardown deletes them. */
  redisKeyPrefix: string;
  workflowBundlePath: string;
  testServerPath: string | null;
}

const VARIABLE = 'SOCIALSYNC_INTEGRATION_ENV';

export function publishIntegrationEnv(env: IntegrationEnv): void {
  process.env[VARIABLE] = JSON.stringify(env);
}

export function getIntegrationEnv(): IntegrationEnv {
  const raw = process.env[VARIABLE];
  if (!raw) throw new Error('integration environment missing: run integration tests through jest (npm test)');
  return JSON.parse(raw) as IntegrationEnv;
}

/** postgresql://.../<database> from the server URL. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
