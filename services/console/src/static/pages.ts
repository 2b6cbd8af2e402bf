import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';

/**
 * The package's public/ directory: `__dirname` is src/static under ts-jest and dist/static when
 * built, so two levels up is the package root either way (public/ ships beside dist/).
 */
export const PUBLIC_DIR = path.join(__dirname, '..', '..', 'public');

/**
 * Preact and htm as the browser loads them: their ES module builds, served from the installed
 * packages (no bundler, no copy that could drift from package.json). htm's package exports its
 * CommonJS build to `require`, so its ES module is found beside it.
 */
export function vendorModules(): Record<string, string> {
  const htmMain = require.resolve('htm');
  return {
    'preact.mjs': require.resolve('preact'),
    'hooks.mjs': require.resolve('preact/hooks'),
    'htm.mjs': path.join(path.dirname(htmMain), 'htm.mjs'),
  };
}

const IMPORT_MAP = JSON.stringify({ imports: { preact: '/console/vendor/preact.mjs', 'preact/hooks': '/console/vendor/hooks.mjs', htm: '/console/vendor/htm.mjs' } });
const IMPORT_MAP_TAG = '<!-- import map -->';

/**
 * No inline script but the import map, allowed by its hash; nothing from other origins; no
 * framing of the console; frames only of its own mail view. The pages never need more, so anything injected into them would not run.
 */
function contentSecurityPolicy(importMap: string): string {
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    // The Mail page frames a mail, served by the console itself under a policy of its own.
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every console and account response, API answers included. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  });
  next();
};

/**
 * The console's and the account page's HTML shells (read once, at build, so a missing file stops
 * start-up), their scripts and styles from public/assets, and the vendored modules.
 */
export function staticRoutes(): (app: Express) => void {
  const csp = contentSecurityPolicy(IMPORT_MAP);
  const page = (file: string): string => {
    const html = readFileSync(path.join(PUBLIC_DIR, file), 'utf8');
    if (!html.includes(IMPORT_MAP_TAG)) throw new Error(`${file} must contain ${IMPORT_MAP_TAG}`);
    return html.replace(IMPORT_MAP_TAG, `<script type="importmap">${IMPORT_MAP}</script>`);
  };
  const consoleHtml = page('console.html');
  const accountHtml = page('account.html');
  const vendor = Object.entries(vendorModules()).map(([name, file]) => [name, readFileSync(file)] as const);
  const html = (body: string): RequestHandler => (_req, res) => {
    res.set({ 'content-security-policy': csp, 'cache-control': 'no-store' }).type('html').send(body);
  };

  return (app) => {
    app.get('/', (_req, res) => res.redirect(302, '/console/'));
    // Routing is not strict: '/console' and '/console/' reach one route; the page has one
    // address, so the bare form is redirected to it.
    const consolePage = html(consoleHtml);
    app.get('/console', (req, res, next) => (req.originalUrl.split('?')[0].endsWith('/') ? consolePage(req, res, next) : res.redirect(302, '/console/')));
    app.get('/account', html(accountHtml));
    for (const [name, body] of vendor) {
      app.get(`/console/vendor/${name}`, (_req, res) => {
        res.set('cache-control', 'public, max-age=3600').type('text/javascript').send(body);
      });
    }
    // Revalidated on every load (ETag): an upgrade never leaves a browser on old scripts.
    app.use('/console/assets', express.static(path.join(PUBLIC_DIR, 'assets'), { index: false, redirect: false, cacheControl: false, setHeaders: (res) => res.set('cache-control', 'no-cache') }));
  };
}
