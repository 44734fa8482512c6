// Two projects, both run by `npm test`:
// - unit: pure logic and in-process HTTP (simulator, clients, cipher, config); no external services.
// - integration (`*.int.test.ts`): real PostgreSQL, Redis and a Temporal server started once per run by
//   test/helpers/global-setup.ts.
// ts-jest only transpiles (isolatedModules); `npm run typecheck` type-checks (about 3x faster than type-checking inside jest).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };

module.exports = {
  // testTimeout is a global option (ignored inside projects): integration tests drive real servers.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      setupFiles: ['<rootDir>/test/helpers/quiet-temporal.ts'],
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
