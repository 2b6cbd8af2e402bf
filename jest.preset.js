/**
 * Shared Jest settings for every project: TypeScript transpiled by ts-jest (type
 * checking is the separate `typecheck` target), Node environment, and workspace imports
 * resolved to sources so tests never depend on a stale build.
 */
const fs = require('node:fs');
const path = require('node:path');

// Each project's test scripts write their JSON reports here for CI's summary lines: one folder
// per lane (embedded broker, Apache Kafka, the Apache Kafka cluster).
for (const lane of ['jest', 'jest-apache-kafka', 'jest-cluster']) fs.mkdirSync(path.join(__dirname, 'reports', lane), { recursive: true });

module.exports = {
  testEnvironment: 'node',
  transform: {
    // Transpile only: type errors are the `typecheck` target's job, and skipping
    // type analysis per file keeps a test run fast on two cores. Compiled as
    // CommonJS so `import()` in TypeScript (the generated Prisma client) becomes
    // `require`, which Jest's module registry supports.
    '^.+\\.ts$': [
      'ts-jest',
      { isolatedModules: true, diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } },
    ],
    // Prisma's client and PGlite import Node built-ins with `import()`, which Jest's
    // vm scripts reject without --experimental-vm-modules.
    '(@prisma[\\\\/]client|@electric-sql[\\\\/]pglite)[\\\\/].+\\.c?js$': path.join(__dirname, 'jest', 'builtin-dynamic-import.transform.js'),
    // jose 6 ships ES modules only; transpiled to CommonJS like our own sources.
    'node_modules[\\\\/]jose[\\\\/].+\\.js$': [
      'ts-jest',
      { isolatedModules: true, diagnostics: false, tsconfig: { module: 'commonjs', allowJs: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@prisma/client|@electric-sql/pglite|jose)/)'],
  moduleNameMapper: {
    '^@orderflow/([a-z0-9-]+)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
  // Integration tests share one Postgres, one Redis and one broker per test file; running
  // files one after another on a 2-core machine is faster than contending for both cores.
  maxWorkers: 1,
};
