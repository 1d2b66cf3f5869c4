import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { loggerOptions, redactUrl } from '../src/logger.js'

const SECRETS = {
  authorization: 'Bearer eyJhbGciOi.secret-access-token.sig',
  cookie: 'sid=secret-session-cookie',
  dpop: 'eyJ0eXAiOiJkcG9wK2p3dCJ9.secret-dpop-proof.sig',
  'dpop-nonce': 'secret-dpop-nonce',
}
const QUERY = {
  code: 'secret-auth-code',
  state: 'secret-state',
  access_token: 'secret-query-token',
  refresh_token: 'secret-refresh',
  id_token: 'secret-id-token',
  token: 'secret-token',
  code_verifier: 'secret-verifier',
  client_secret: 'secret-client',
  password: 'secret-password',
}

function capture() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { lines, stream }
}

describe('loggerOptions', () => {
  it('logs no credential from headers, query strings or bodies, and keeps the rest', async () => {
    const { lines, stream } = capture()
    const app = Fastify({ logger: { ...loggerOptions('trace', false), stream } })
    app.post('/callback', async (request, reply) => {
      request.log.info({ headers: request.headers, body: request.body }, 'by hand')
      return reply.header('set-cookie', 'sid=secret-set-cookie').send({ ok: true })
    })
    const query = new URLSearchParams({ ...QUERY, iss: 'https://as.example' }).toString()
    const res = await app.inject({
      method: 'POST',
      url: `/callback?${query}`,
      headers: SECRETS,
      payload: { ...QUERY, note: 'kept' },
    })
    expect(res.statusCode).toBe(200)
    app.log.info({ access_token: 'secret-top-level', code: 'SERVICE_ERR_X' }, 'fields at top level')
    await app.close()

    const log = lines.join('')
    for (const value of [...Object.values(SECRETS), ...Object.values(QUERY), 'secret-set-cookie']) {
      expect(log).not.toContain(value.split('.')[1] ?? value)
    }
    expect(log).not.toContain('secret-top-level')
    expect(log).toContain('"code":"SERVICE_ERR_X"')
    expect(log).toContain('iss=https%3A%2F%2Fas.example')
    expect(log).toContain('code=[redacted]&state=[redacted]&access_token=[redacted]')
    expect(log).toContain('"note":"kept"')
    expect(log).toContain('"authorization":"[redacted]"')
  })

  it('redacts the values of secret query parameters only', () => {
    expect(redactUrl('/cb?code=abc&state=xyz&iss=x')).toBe('/cb?code=[redacted]&state=[redacted]&iss=x')
    expect(redactUrl('/x?barcode=1&mytoken=2')).toBe('/x?barcode=1&mytoken=2')
  })

  it('pretty-prints only on a terminal', () => {
    expect(loggerOptions('info', true)).toHaveProperty('transport.target', 'pino-pretty')
    expect(loggerOptions('info', false)).not.toHaveProperty('transport')
  })
})
