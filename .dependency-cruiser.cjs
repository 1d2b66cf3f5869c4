/** Every rule is an error: `pnpm lint` fails on the first dependency that breaks one. */
const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to })

/**
 * Dependencies point one way: tools and e2e → apps → packages (docs/DESIGN.md). `pnpm lint` runs this.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    rule(
      'packages-import-no-app-or-tool',
      'A library is used by apps and tools; it never reaches back into them.',
      { path: '^packages/' },
      { path: '^(apps|tools|e2e)/' },
    ),
    rule(
      'apps-import-no-tool-or-e2e',
      'Tools and e2e tests run the apps as users do; an app never depends on them.',
      { path: '^apps/' },
      { path: '^(tools|e2e)/' },
    ),
    rule(
      'apps-import-no-other-app',
      'Apps talk to each other over HTTP only; a test needing two apps lives in e2e/.',
      { path: '^apps/([^/]+)/' },
      { path: '^apps/', pathNot: '^apps/$1/' },
    ),
    rule(
      'production-apps-import-no-demo-experiments',
      'The experiments are the demo’s; the auth-server and the APIs run without them (DPoP: packages/dpop-client).',
      { path: '^apps/(auth-server|orders-api|inventory-api)/' },
      { path: '^packages/experiments/' },
    ),
    rule(
      'tools-and-e2e-run-apps-not-import-them',
      'Tools and e2e start the built apps as processes (dist/server.js) and talk HTTP; no app code.',
      { path: '^(tools|e2e)/' },
      { path: '^apps/' },
    ),
    rule(
      'verifier-core-is-framework-free',
      'The verifier core works with any server; only its adapters know a framework.',
      { path: '^packages/verifier/src/', pathNot: '^packages/verifier/src/adapters/' },
      { path: '(^|/)node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/' },
    ),
    rule(
      'no-circular',
      'A cycle makes two modules one; split what they share into a third.',
      {},
      { circular: true },
    ),
  ],
  options: {
    // Sources are the folders `pnpm lint` names; a workspace package resolves to its built dist/, which counts
    // as the package's folder here without being cruised itself.
    doNotFollow: { path: ['node_modules', '(^|/)dist/'] },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
