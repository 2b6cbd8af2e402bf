module.exports = { ...require('../../jest.preset.js'), displayName: 'apache-kafka' };
