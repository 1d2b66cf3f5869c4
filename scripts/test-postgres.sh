#!/usr/bin/env bash
# Starts a local PostgreSQL for the test suites on Debian/Ubuntu (installing it with apt when missing) and
# prints the TEST_DATABASE_URL to use. The tests create and drop their own databases under this role.
#
#   export TEST_DATABASE_URL=$(sudo bash scripts/test-postgres.sh)
#
# Idempotent; progress goes to stderr, the URL alone to stdout.
set -euo pipefail
log() { printf '[test-postgres] %s\n' "$*" >&2; }
role=stateless_auth
password=stateless_auth   # a throwaway role on a loopback-only test cluster

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  log "installing postgresql (apt)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
  read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
fi
if [ "$status" != "online" ]; then
  log "starting cluster $version/$cluster on port $port"
  pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 -p "$port" || { log "PostgreSQL did not become ready"; exit 1; }

runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN SUPERUSER PASSWORD '$password';
  END IF;
END \$\$;
SQL
echo "postgres://$role:$password@127.0.0.1:$port/postgres"
