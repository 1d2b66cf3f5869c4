import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * An `onRequest` hook refusing, with 403, a request whose `Origin` header names another origin than this app's.
 * Browsers send `Origin` on every cross-origin POST (and on same-origin ones too, mostly); a request without it
 * does not come from another site's page. Returns true when it has answered.
 */
export function refuseOtherOrigins(origin: string) {
  return (request: FastifyRequest, reply: FastifyReply): boolean => {
    const sent = request.headers.origin
    if (sent === undefined || sent === origin) return false
    reply.code(403).send({ error: 'forbidden', error_description: `requests from ${sent} are not accepted` })
    return true
  }
}
