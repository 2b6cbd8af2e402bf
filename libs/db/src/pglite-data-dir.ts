import * as fs from 'node:fs';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** initdb writes it into every data directory; PGlite treats a directory that has it as a database. */
const PG_VERSION = 'PG_VERSION';

/**
 * How long the template stays in memory after its last use: enough for the databases a
 * start-up or a test file creates one after another, without holding its 38 MB for the life of
 * a server that will not create another.
 */
const TEMPLATE_IDLE_MS = 60_000;

/** Where a new data directory is assembled before it is renamed into place. */
export function stagingDirOf(dataDir: string): string {
  return `${dataDir}.initialising`;
}

/**
 * Makes `dataDir` a PGlite data directory unless it is one already.
 *
 * A new one is a copy of a cluster this process initialised once (see `templateCluster`):
 * PGlite's initdb runs in WASM on the main thread, 3.5 s on a quiet 2-core machine and 5-8 s
 * under load, while writing out its 38 MB (970 files) takes 0.1-0.3 s, up to 1 s when the disk
 * is busy. The one-machine mode creates five databases on its first start, which spent most of
 * its 16 s in initdb.
 *
 * The copy is assembled beside `dataDir` and renamed into place whole, so a crash at any
 * moment leaves either no `dataDir` (the next start copies again) or a complete one. Left to
 * itself, PGlite extracts into `dataDir` file by file and resumes any directory that has
 * PG_VERSION: killed mid-extraction (964 of 967 files written), every later start failed with
 * "PGlite failed to initialize properly".
 */
export async function preparePgliteDataDir(dataDir: string): Promise<void> {
  if (fs.existsSync(path.join(dataDir, PG_VERSION))) return;
  removeIfEmpty(dataDir);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const staging = stagingDirOf(dataDir);
  // What a crash left while copying: never used, always replaced.
  await fs.promises.rm(staging, { recursive: true, force: true });
  await writeCluster(await templateCluster(), staging);
  await fs.promises.rename(staging, dataDir);
}

/**
 * An empty `dataDir` (made by hand, or by an older release before it crashed) is replaced; one
 * with other files is refused, as those may be the user's.
 */
function removeIfEmpty(dataDir: string): void {
  if (!fs.existsSync(dataDir)) return;
  if (fs.readdirSync(dataDir).length > 0) {
    throw new Error(
      `${dataDir} holds files but no PostgreSQL database (no ${PG_VERSION}): it may be left from a first start ` +
        'interrupted by an older release; move it away and start again to create the database afresh',
    );
  }
  fs.rmdirSync(dataDir);
}

/** A data directory's contents: its directories, parents first (some stay empty), and its files. */
interface ClusterImage {
  directories: string[];
  files: Map<string, Uint8Array>;
}

/** What this file reads from PGlite's in-memory file system (Emscripten's FS). */
interface EmscriptenFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  readFile(path: string): Uint8Array;
}

let template: Promise<ClusterImage> | undefined;
let forgetTemplate: NodeJS.Timeout | undefined;

/**
 * A freshly initialised cluster, kept in memory for the databases this process creates. The
 * copies share its system identifier, which only WAL shipping and replication look at, and
 * PGlite has neither.
 */
function templateCluster(): Promise<ClusterImage> {
  template ??= initialiseTemplate().catch((err: unknown) => {
    template = undefined;
    throw err;
  });
  clearTimeout(forgetTemplate);
  forgetTemplate = setTimeout(() => (template = undefined), TEMPLATE_IDLE_MS).unref();
  return template;
}

/**
 * initdb in memory (PGlite without a data directory), then read out of its file system once
 * `close()` has shut Postgres down cleanly, so copies open without recovery. Against doing the
 * same on disk this writes, reads back and deletes no temporary 38 MB (0.6 s less system CPU
 * measured), and leaves nothing behind however the process ends.
 */
async function initialiseTemplate(): Promise<ClusterImage> {
  const pglite = await PGlite.create();
  await pglite.close();
  const root: unknown = pglite.ENV?.PGDATA;
  if (typeof root !== 'string') throw new Error('PGlite no longer names its data directory in ENV.PGDATA');
  const image: ClusterImage = { directories: [], files: new Map() };
  readCluster(pglite.Module.FS as EmscriptenFs, root, '', image);
  // Guards a PGlite upgrade that lays its file system out differently: no database from half a template.
  for (const required of [PG_VERSION, 'global/pg_control']) {
    if (!image.files.has(required)) throw new Error(`PGlite's initialised cluster has no ${required} under ${root}`);
  }
  return image;
}

function readCluster(memory: EmscriptenFs, root: string, relative: string, image: ClusterImage): void {
  for (const name of memory.readdir(path.posix.join(root, relative))) {
    if (name === '.' || name === '..') continue;
    const entry = path.posix.join(relative, name);
    const absolute = path.posix.join(root, entry);
    if (memory.isDir(memory.stat(absolute).mode)) {
      image.directories.push(entry);
      readCluster(memory, root, entry, image);
    } else {
      image.files.set(entry, memory.readFile(absolute));
    }
  }
}

/** Asynchronously, so that the services already started go on serving while it writes. */
async function writeCluster(image: ClusterImage, to: string): Promise<void> {
  await fs.promises.mkdir(to);
  for (const directory of image.directories) await fs.promises.mkdir(path.join(to, directory));
  await Promise.all([...image.files].map(([name, data]) => fs.promises.writeFile(path.join(to, name), data)));
}
