#!/usr/bin/env node
/**
 * `prisma generate` for a schema, usable offline and in CI: node scripts/prisma-generate.mjs <prisma.config.ts>
 *
 * Prisma 7's CLI downloads its native schema engine before any command, generate included,
 * although generating a client never runs it (the client is produced by the WASM build that
 * ships in the `prisma` package). Where binaries.prisma.sh is unreachable that download
 * fails, so unless the caller chose an engine we point PRISMA_SCHEMA_ENGINE_BINARY at a file
 * that certainly exists (this Node binary) and the download is skipped. Migrations never use
 * the engine either: @orderflow/db applies the SQL files itself.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const config = process.argv[2];
if (!config) {
  console.error('usage: prisma-generate.mjs <path/to/prisma.config.ts>');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath };
// Prisma's "update available" check would be one more network call.
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync(process.execPath, [cli, 'generate', '--config', config], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
