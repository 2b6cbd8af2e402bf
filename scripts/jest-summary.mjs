#!/usr/bin/env node
// Sums the Jest JSON reports under one or more directories into the one line CI
// reads: "N passed, N failed". Exits non-zero when any test failed, a suite failed
// to run, or a directory holds no report at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['reports/jest'];
let passed = 0;
let failed = 0;
let brokenSuites = 0;
let missing = 0;
for (const dir of dirs) {
  let files = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    // no reports: counted below
  }
  if (files.length === 0) {
    console.error(`no Jest reports found in ${dir}`);
    missing++;
  }
  for (const file of files) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    brokenSuites += report.numRuntimeErrorTestSuites ?? 0;
  }
}
if (brokenSuites > 0) console.error(`${brokenSuites} test suite(s) failed to run`);
console.log(`${passed} passed, ${failed + brokenSuites} failed`);
process.exit(missing === 0 && failed === 0 && brokenSuites === 0 ? 0 : 1);
