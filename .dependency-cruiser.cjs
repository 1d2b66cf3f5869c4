/**
 * Dependencies point one way: tools and e2e → apps → packages (docs/DESIGN.md). `pnpm lint` runs this.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'packages-import-no-app-or-tool',
      comment: 'A library is used by apps and tools; it never reaches back into them.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(apps|tools|e2e)/' },
    },
    {
      name: 'apps-import-no-tool-or-e2e',
      comment: 'Tools and e2e tests run the apps as users do; an app never depends on them.',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^(tools|e2e)/' },
    },
    {
      name: 'apps-import-no-other-app',
      comment: 'Apps talk to each other over HTTP only; a test needing two apps lives in e2e/.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'tools-and-e2e-run-apps-not-import-them',
      comment: 'Tools and e2e start the built apps as processes (dist/server.js) and talk HTTP; no app code.',
      severity: 'error',
      from: { path: '^(tools|e2e)/' },
      to: { path: '^apps/' },
    },
    {
      name: 'verifier-core-is-framework-free',
      comment: 'The verifier core works with any server; only its adapters know a framework.',
      severity: 'error',
      from: { path: '^packages/verifier/src/', pathNot: '^packages/verifier/src/adapters/' },
      to: { path: '(^|/)node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one; split what they share into a third.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
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
