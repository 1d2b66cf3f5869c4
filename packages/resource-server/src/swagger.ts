import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema } from 'fastify'

export interface DocsOptions {
  title: string
  description: string
  version: string
  /** Every scope this API checks, with what it grants; shown on the security scheme. */
  scopes: Record<string, string>
  issuer: string
}

interface RouteAuthConfig {
  auth?: { scopes?: readonly string[] } | false
}

/**
 * OpenAPI 3.1 at `/docs` (UI) and `/docs/json`. Security is derived from each route's `config.auth`, the same
 * value the verifier enforces, so the documentation can never disagree with the code. OpenAPI 3.1 §4.8.30
 * allows scope names on a non-OAuth2 scheme's requirement, which is how the bearer scheme lists them.
 */
export async function registerDocs(app: FastifyInstance, options: DocsOptions): Promise<void> {
  const scopeList = Object.entries(options.scopes)
    .map(([scope, grants]) => `- \`${scope}\`: ${grants}`)
    .join('\n')
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: options.version },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: `RFC 9068 JWT access token issued by ${options.issuer}. Scopes:\n${scopeList}`,
          },
        },
      },
    },
    transform({ schema, url, route }) {
      const auth = (route.config as RouteAuthConfig | undefined)?.auth
      const transformed: FastifySchema & { security?: unknown } = { ...schema }
      if (auth && transformed.security === undefined) {
        transformed.security = [{ bearerAuth: [...(auth.scopes ?? [])] }]
      }
      return { schema: transformed, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}
