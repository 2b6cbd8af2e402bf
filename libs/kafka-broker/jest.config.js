module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'kafka-broker',
  globalSetup: '<rootDir>/test/build-once.js',
};
