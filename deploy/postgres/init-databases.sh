#!/bin/bash
# One database per service (a service never reads another's tables; see STYLE.md), created
# the first time the Postgres container initialises its volume. Each service creates its own
# tables at start-up (@orderflow/db applies its SQL migrations), so nothing else happens here.
# Mounted into /docker-entrypoint-initdb.d by docker-compose.yml; the entrypoint runs it once,
# as POSTGRES_USER, before the server accepts TCP connections.
set -euo pipefail

for database in orderflow_ingress orderflow_order orderflow_fulfillment orderflow_notification orderflow_dispatch; do
  echo "creating database ${database}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE ${database} OWNER \"${POSTGRES_USER}\""
done
