export { waitFor, type WaitForOptions } from './wait-for';
export { uniqueName } from './names';
export { tempDir } from './temp-dir';
