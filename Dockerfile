# One Dockerfile for the four app images: shared stages install and build the workspace once (and compile
# better-sqlite3 once), then one final stage per app, picked with --target. Build from the repository root:
#
#   docker build --target auth-server   -t stateless-auth/auth-server   .
#   docker build --target orders-api    -t stateless-auth/orders-api    .
#   docker build --target inventory-api -t stateless-auth/inventory-api .
#   docker build --target web           -t stateless-auth/web           .
#
# docker-compose.yml builds each service from here with its target. Another base image: --build-arg NODE_IMAGE=…
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS toolchain
# better-sqlite3 compiles from source; the compiler stays in the build stages, never in the image that runs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp needs Node's headers. It downloads them from nodejs.org unless told where they are: use the ones
# shipped beside node, or (a base image without them, a builder that reaches only the npm registry) the ones in
# the npm package of the same Node release.
RUN mkdir -p /opt/node \
 && prefix=$(dirname "$(dirname "$(command -v node)")") \
 && if [ -f "$prefix/include/node/common.gypi" ]; then ln -s "$prefix/include" /opt/node/include; \
    else cd /tmp \
      && npm pack --silent "node-linux-$(node -p process.arch)@$(node -p 'process.version.slice(1)')" \
      && tar -xzf node-linux-*.tgz -C /opt/node --strip-components=1 package/include \
      && rm node-linux-*.tgz; fi \
 && test -f /opt/node/include/node/common.gypi
ENV npm_config_nodedir=/opt/node
WORKDIR /repo
COPY package.json ./
# The pnpm version pinned in package.json's packageManager (corepack is not relied on).
RUN npm install -g "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")" \
 && pnpm --version
ENV TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 CI=true

# Only the manifests, so the dependency install below is cached until a package.json or the lockfile changes.
FROM toolchain AS manifests
COPY . /src
RUN cd /src && find . -type f ! -name package.json ! -name pnpm-lock.yaml ! -name pnpm-workspace.yaml ! -name .npmrc -delete

FROM toolchain AS deps
COPY --from=manifests /src/ ./
RUN --mount=type=cache,id=stateless-auth-pnpm-store,target=/pnpm-store \
    pnpm install --frozen-lockfile --store-dir /pnpm-store

FROM deps AS build
COPY . .
# Every app and the workspace packages they use (turbo's ^build), not the demo or benchmarks.
RUN pnpm exec turbo run build --filter='./apps/*'
# A standalone copy of each app in /out/<app>, with its production dependencies only (the workspace packages it
# uses, e.g. @stateless-auth/service-kit, as built copies); --legacy because the workspace does not inject its
# packages (pnpm 10). Then what is not needed to run: sources, tests, and better-sqlite3's sources and compiler
# output (about 30 MB an app), keeping its addon alone.
RUN --mount=type=cache,id=stateless-auth-pnpm-store,target=/pnpm-store \
    for app in auth-server orders-api inventory-api web; do \
      pnpm --filter "@stateless-auth/$app" deploy --prod --legacy --store-dir /pnpm-store "/out/$app" \
      && rm -rf "/out/$app/src" "/out/$app/test" /out/$app/tsconfig*.json "/out/$app/vitest.config.ts" \
      || exit 1; \
    done \
 && for m in /out/*/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do \
      [ -d "$m" ] || continue; \
      find "$m/build" -type f ! -path '*/Release/better_sqlite3.node' -delete && rm -rf "$m/deps" "$m/src"; \
    done

# What every app image shares: the bare base image, the unprivileged user, a writable data/ (the SQLite file
# when no DATABASE_URL is set) and a health check on GET /ready. Each app stage adds its files and port.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
RUN mkdir -p data && chown node:node data
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server.js"]

# inventory-api: resource server for stock levels (verifies tokens locally with the cached JWKS).
FROM runtime AS inventory-api
COPY --from=build /out/inventory-api ./
ENV PORT=4002
EXPOSE 4002
USER node

# orders-api: resource server for orders; reserves stock at inventory-api with its own token.
FROM runtime AS orders-api
COPY --from=build /out/orders-api ./
ENV PORT=4001
EXPOSE 4001
USER node

# web: the demo web app (backend-for-frontend that signs users in at the auth-server).
FROM runtime AS web
COPY --from=build /out/web ./
ENV PORT=3000
EXPOSE 3000
USER node

# auth-server: the OAuth 2.0 authorization server (issues and signs access tokens, serves the JWKS). Last, so that
# a plain `docker build .` builds it.
FROM runtime AS auth-server
COPY --from=build /out/auth-server ./
ENV PORT=4000
EXPOSE 4000
USER node
