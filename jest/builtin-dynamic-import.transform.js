/**
 * Jest runs CommonJS inside `vm` scripts, where `import()` throws
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING_FLAG unless Node runs with
 * --experimental-vm-modules. Prisma 7's client (`import("node:crypto")`) and
 * PGlite's CJS build (`import("fs/promises")`, `import("zlib")`, ...) both do that,
 * for Node built-ins only (see electric-sql/pglite#224). This transform rewrites
 * `import("<literal>")` of a built-in into a `require`, which Jest supports, so
 * `npx jest` works without flags. Everything else is left untouched.
 */
const { builtinModules } = require('node:module');
const { createHash } = require('node:crypto');

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const REQUIRE = '__jestBuiltinRequire';
const DYNAMIC_IMPORT = /\bimport\((["'])([^"']+)\1\)/g;

function rewrite(source) {
  const rewritten = source.replace(DYNAMIC_IMPORT, (whole, _quote, specifier) =>
    builtins.has(specifier) ? `Promise.resolve(${REQUIRE}(${JSON.stringify(specifier)}))` : whole,
  );
  // Captured once at the top of the module: bundles such as PGlite's declare a local
  // `var require` in the very functions that import, shadowing Jest's.
  return rewritten === source ? source : `var ${REQUIRE} = require;${rewritten}`;
}

module.exports = {
  process(source) {
    return { code: rewrite(source) };
  },
  getCacheKey(source, filename) {
    return createHash('sha1').update('builtin-dynamic-import-v2').update(filename).update(source).digest('hex');
  },
};
