export { waitFor, type WaitForOptions } from './wait-for';
export { uniqueName } from './names';
export { tempDir } from './temp-dir';
export { createTestDatabase } from './database';
export { startTestBroker } from './broker';
