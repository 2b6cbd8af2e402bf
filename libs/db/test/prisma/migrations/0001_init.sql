-- Matches test/prisma/schema.prisma. Deliberately not idempotent (no IF NOT EXISTS): applying
-- it twice fails, which is what the concurrent-openers test relies on to catch a double apply.
CREATE TABLE widgets (
  id         serial      PRIMARY KEY,
  name       text        NOT NULL UNIQUE,
  quantity   integer     NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
