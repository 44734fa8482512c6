import { loadConfig, type Config } from '../../src/config';
import type { SimulatorOptions } from '../../src/devtools/simulator';

/** A complete, valid environment for tests; override any variable per test. */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  ENCRYPTION_KEY: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
  JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
  CRON_JOB_SECRET: 'test-cron-secret-0123456789',
  INSTAGRAM_APP_ID: 'test-instagram-app',
  INSTAGRAM_APP_SECRET: 'test-instagram-secret',
  INSTAGRAM_REDIRECT_URI: 'https://socialsync.test/callback/instagram',
  TIKTOK_CLIENT_KEY: 'test-tiktok-key',
  TIKTOK_CLIENT_SECRET: 'test-tiktok-secret',
  TIKTOK_REDIRECT_URI: 'https://socialsync.test/callback/tiktok',
};

export function makeTestConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...TEST_ENV, ...overrides });
}

/** Simulator apps registered with `config`'s credentials and redirect URIs, so OAuth exchanges agree. */
export function simulatorAppsFor(config: Config): NonNullable<SimulatorOptions['apps']> {
  return {
    instagram: {
      appId: config.instagram.appId,
      appSecret: config.instagram.appSecret,
      redirectUri: config.instagram.redirectUri,
    },
    tiktok: {
      clientKey: config.tiktok.clientKey,
      clientSecret: config.tiktok.clientSecret,
      redirectUri: config.tiktok.redirectUri,
    },
  };
}
