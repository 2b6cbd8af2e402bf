const preset = require('../../jest.preset.js');

// This package composes the services: map them to their sources, as the preset does the libs.
const services = ['ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch', 'console'];
module.exports = {
  ...preset,
  displayName: 'one-machine',
  moduleNameMapper: {
    [`^@orderflow/(${services.join('|')})$`]: '<rootDir>/../$1/src/index.ts',
    ...preset.moduleNameMapper,
  },
};
