#!/usr/bin/env bash
# `pnpm test:compose`: builds docker-compose.yml's images, starts the stack, runs the smoke test from the host
# over 127.0.0.1 (scripts/compose/test.mjs) and always removes the stack and its volume afterwards.
# Needs Docker with Compose v2 and, on 127.0.0.1, free ports 3000, 4000, 4010, 4101-4109 and 4201-4209. NODE_IMAGE and POSTGRES_IMAGE,
# when set, replace the public base images (builders without Docker Hub). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A project of its own, so that `down -v` can never remove a stack (and database) someone is using; the
# `replicas` profile adds the second auth-server.
export COMPOSE_PROJECT_NAME=${COMPOSE_TEST_PROJECT:-stateless-auth-test}
export COMPOSE_PROFILES=replicas
export COMPOSE_BUILD_LOG=${COMPOSE_BUILD_LOG:-$(mktemp -t compose-build.XXXXXX.log)}

teardown() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "--- last service logs ---"
    docker compose logs --no-color --tail 40 2>&1 | tail -200 || true
    echo "--- last build output ($COMPOSE_BUILD_LOG) ---"
    tail -40 "$COMPOSE_BUILD_LOG" 2>/dev/null || true
  fi
  docker compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

if ! docker compose version >/dev/null 2>&1; then
  echo "docker compose (v2) is not available"
  echo "0 passed, 1 failed"
  exit 1
fi
# A stack left over from an interrupted run would hold the ports.
docker compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true

node scripts/compose/test.mjs
