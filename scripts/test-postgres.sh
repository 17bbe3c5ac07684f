#!/usr/bin/env bash
# The PostgreSQL server the tests use: start the machine's cluster (creating one if there is none),
# make the `letters` role and the `letters_test` database, and print the URL for LETTERS_TEST_PG_URL.
# Needs root (or the postgres account) and the postgresql package; otherwise prints nothing and the
# tests marked `postgres` are skipped, saying why.
set -u
command -v pg_lsclusters >/dev/null || { echo "postgresql is not installed: the PostgreSQL tests are skipped" >&2; exit 0; }
[ "$(id -u)" = 0 ] || { echo "not root: start PostgreSQL yourself and set LETTERS_TEST_PG_URL" >&2; exit 0; }
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  pg_createcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main >/dev/null
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
fi
# shellcheck disable=SC2086
pg_ctlcluster $cluster start >/dev/null 2>&1 || true
for _ in $(seq 30); do su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break; sleep 1; done
su postgres -c "psql -qtAc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='letters') THEN CREATE ROLE letters LOGIN SUPERUSER PASSWORD 'letters'; END IF; END \\\$\\\$;\"" >/dev/null
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='letters_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O letters letters_test"
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
echo "postgresql+psycopg://letters:letters@127.0.0.1:${port}/letters_test"
