#!/usr/bin/env node
// Sums the Jest JSON reports under a directory into the one line CI reads:
// "N passed, N failed". Exits non-zero when any test failed, a suite failed to
// run, or no report was written at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports/jest';
let passed = 0;
let failed = 0;
let brokenSuites = 0;
let reports = 0;
let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // no reports: counted below
}
for (const file of files) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  reports++;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  brokenSuites += report.numRuntimeErrorTestSuites ?? 0;
}
if (reports === 0) console.error(`no Jest reports found in ${dir}`);
if (brokenSuites > 0) console.error(`${brokenSuites} test suite(s) failed to run`);
console.log(`${passed} passed, ${failed + brokenSuites} failed`);
process.exit(reports > 0 && failed === 0 && brokenSuites === 0 ? 0 : 1);
