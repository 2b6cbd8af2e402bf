import { defineConfig } from 'prisma/config';

// Generation only: migrations are plain SQL applied by @orderflow/db at start-up,
// so no datasource URL is needed here.
export default defineConfig({
  schema: 'schema.prisma',
});
