#!/bin/sh
# Writes secrets.env for the dev overlay from secrets.env.example: each CHANGE-ME becomes a
# fresh random value (one Postgres password, the same wherever it appears). Never reused
# across clusters, never committed (.gitignore).
set -eu
cd "$(dirname "$0")"
if [ -e secrets.env ]; then
  echo "secrets.env exists already; remove it to generate new secrets" >&2
  exit 1
fi
postgres_password=$(openssl rand -hex 16)
umask 077
while IFS= read -r line; do
  case "$line" in
    POSTGRES_PASSWORD=* | *_DATABASE_URL=*) printf '%s\n' "$line" | sed "s/CHANGE-ME/$postgres_password/g" ;;
    *CHANGE-ME*) printf '%s\n' "$line" | sed "s/CHANGE-ME/$(openssl rand -hex 32)/" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < secrets.env.example > secrets.env
echo "wrote $(pwd)/secrets.env"
