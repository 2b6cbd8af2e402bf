import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { schemaDrift, servicesWithSchemas } from '@orderflow/testing';
import { openDatabase } from '../src';

const SERVICES = join(__dirname, '..', '..', '..', 'services');

/** Tables this lib's migrations add to every service database; no service schema declares them. */
const LIBRARY_TABLES = ['_orderflow_migrations', 'processed_events', 'outbox'];

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * schema.prisma (what the typed client believes) and the SQL migrations (what start-up applies)
 * are written twice, by hand: each service's two must describe the same tables, columns,
 * constraints and indexes. A column added to one and not the other fails here, not in production.
 */
describe('each service’s schema.prisma and its migrations', () => {
  it('finds the services', async () => {
    expect((await servicesWithSchemas(SERVICES)).map((dir) => dir.split('/').at(-1))).toEqual(['fulfillment', 'ingress', 'notification', 'order', 'outbound-dispatch']);
  });

  it.each(['fulfillment', 'ingress', 'notification', 'order', 'outbound-dispatch'])('%s: describe the same schema', async (service) => {
    const dir = join(SERVICES, service);
    const drift = await schemaDrift({
      serviceDir: dir,
      except: LIBRARY_TABLES,
      migrate: async (url) => {
        const db = await openDatabase({ url, dataDir: tmpdir(), name: service, migrationsDir: join(dir, 'prisma', 'migrations'), logger: silent, poolSize: 1 });
        await db.close();
      },
    });
    expect(drift).toEqual({ onlyInMigrations: [], onlyInSchema: [] });
  }, 60_000);
});
