const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'db',
  transform: {
    // The generated Prisma client loads its query compiler with `import()`; compiling
    // tests as CommonJS turns that into `require`, which Jest's module registry supports.
    '^.+\\.ts$': [
      'ts-jest',
      { isolatedModules: true, diagnostics: false, tsconfig: { module: 'commonjs', moduleResolution: 'node10' } },
    ],
    '(@prisma[\\\\/]client|@electric-sql[\\\\/]pglite)[\\\\/].+\\.c?js$': require.resolve('./jest/builtin-dynamic-import.transform.js'),
  },
  transformIgnorePatterns: ['/node_modules/(?!(@prisma/client|@electric-sql/pglite)/)'],
};
