#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`orderflow: the CLI is not built (${cli} is missing): run npm run build first\n`);
  process.exit(1);
}
require(cli);
