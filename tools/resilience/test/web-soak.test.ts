import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applySetCookie, Browser, isRedirect } from '../src/browser.js'
import { failuresByRequest, stepOf } from '../src/scenarios/soak.js'
import { Recorder } from '../src/traffic.js'
import { judgeApiAnswer } from '../src/web-client.js'

describe('applySetCookie', () => {
  const now = Date.parse('2026-11-30T10:00:00Z')
  it('sets, replaces and removes cookies as a browser does', () => {
    const jar = new Map<string, string>()
    applySetCookie(jar, 'sid=abc.def; Path=/; HttpOnly; SameSite=Lax', now)
    applySetCookie(jar, 'csrf=x=y; Path=/', now)
    expect(Object.fromEntries(jar)).toEqual({ sid: 'abc.def', csrf: 'x=y' })
    applySetCookie(jar, 'sid=new; Max-Age=3600', now)
    expect(jar.get('sid')).toBe('new')
    // Fastify's clearCookie: empty value, Expires in 1970.
    applySetCookie(jar, 'sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now)
    applySetCookie(jar, 'csrf=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now)
    expect(jar.size).toBe(0)
  })
  it('lets Max-Age win over Expires, and ignores a header without a name', () => {
    const jar = new Map<string, string>()
    applySetCookie(jar, 'a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60', now)
    applySetCookie(jar, 'b=2; Expires=Mon, 30 Nov 2026 09:00:00 GMT', now)
    applySetCookie(jar, '=3', now)
    expect(Object.fromEntries(jar)).toEqual({ a: '1' })
  })
})

describe('judgeApiAnswer', () => {
  const ok200 = (s: number) => s === 200
  it('is a success only when the API itself answered as expected', () => {
    expect(judgeApiAnswer('orders-api', 200, '{"status":200}', ok200)).toEqual({
      verdict: true,
      retried: false,
    })
    expect(judgeApiAnswer('orders-api', 200, '{"status":401}', ok200).verdict).toBe(
      'orders-api answered 401 through the web',
    )
    expect(judgeApiAnswer('orders-api', 200, '{"networkError":"ECONNREFUSED"}', ok200).verdict).toBe(
      'orders-api unreachable from the web',
    )
    expect(judgeApiAnswer('orders-api', 200, 'not json', ok200).verdict).toBe(
      'the web answered 200 without JSON',
    )
    expect(judgeApiAnswer('orders-api', 401, '{"error":"not_signed_in"}', ok200).verdict).toBe(false)
  })
  it('notes a call the web retried after a refresh', () => {
    const body = JSON.stringify({ status: 200, retriedAfter: { status: 401 } })
    expect(judgeApiAnswer('orders-api', 200, body, ok200)).toEqual({ verdict: true, retried: true })
  })
})

describe('the soak mix', () => {
  it('has one sign-out, one reload, one order while any are left, and API calls otherwise, in 20 steps', () => {
    const cycle = Array.from({ length: 20 }, (_, i) => stepOf(i, true))
    expect(cycle.filter((s) => s === 'sign-out')).toHaveLength(1)
    expect(cycle.filter((s) => s === 'reload')).toHaveLength(1)
    expect(cycle.filter((s) => s === 'order')).toHaveLength(1)
    expect(cycle.filter((s) => s === 'orders' || s === 'inventory')).toHaveLength(17)
    expect(stepOf(24, false)).toBe('orders')
    expect(stepOf(39, true)).toBe('sign-out')
  })
  it('counts failures by request and cause', () => {
    const sample = (label: string, cause: string) => ({ label, start: 0, end: 1, status: 0, cause })
    expect(
      failuresByRequest([
        sample('a', 'ok'),
        sample('a', 'HTTP 500'),
        sample('a', 'HTTP 500'),
        sample('b', 'timeout'),
      ]),
    ).toEqual({ 'a (HTTP 500)': 2, 'b (timeout)': 1 })
  })
})

describe('Browser', () => {
  // Two origins as in the soak: an "app" that sends the browser to an "idp" with a login form, which sends it back.
  let app: Server
  let idp: Server
  const seen: string[] = []
  const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const listen = (server: Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  beforeAll(async () => {
    app = createServer((req, res) => {
      seen.push(`app ${req.method} ${req.url} cookie=${req.headers.cookie ?? ''}`)
      if (req.url === '/login')
        res.writeHead(302, { location: `${url(idp)}/authorize`, 'set-cookie': 'state=s1; Path=/' }).end()
      else res.writeHead(302, { location: '/', 'set-cookie': ['state=; Max-Age=0', 'sid=42; Path=/'] }).end()
    })
    idp = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        seen.push(`idp ${req.method} ${req.url} cookie=${req.headers.cookie ?? ''} ${body}`)
        if (req.method === 'GET')
          res
            .writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'csrf=c1' })
            .end(
              '<form method="post" action="/login"><input type="hidden" name="csrf" value="c1"><input name="password"></form>',
            )
        else res.writeHead(303, { location: `${url(app)}/callback?code=x` }).end()
      })
    })
    await Promise.all([listen(app), listen(idp)])
  })
  afterAll(async () => {
    await Promise.all([app, idp].map((s) => new Promise((resolve) => s.close(resolve))))
  })

  it('keeps cookies per origin, fills in the login form and stops at the way back', async () => {
    const rec = new Recorder()
    const browser = new Browser(rec)
    const start = await browser.request('login', `${url(app)}/login`, {}, isRedirect)
    expect(start?.ok).toBe(true)
    const back = await browser.followTo(url(app), start!, { username: 'alice', password: 'pw' }, 'sign-in')
    expect(back?.href).toBe(`${url(app)}/callback?code=x`)
    await browser.request('callback', back!, {}, isRedirect)
    expect(Object.fromEntries(browser.cookies(url(app)))).toEqual({ sid: '42' })
    expect(Object.fromEntries(browser.cookies(url(idp)))).toEqual({ csrf: 'c1' })
    expect(seen).toEqual([
      'app GET /login cookie=',
      'idp GET /authorize cookie= ',
      'idp POST /login cookie=csrf=c1 csrf=c1&username=alice&password=pw',
      'app GET /callback?code=x cookie=state=s1',
    ])
    expect(rec.failures()).toEqual({})
    expect(rec.samples.map((s) => s.label)).toEqual([
      'login',
      'sign-in: GET /authorize',
      'sign-in: POST /login',
      'callback',
    ])
  })

  it('records an unexpected answer with its cause and an example', async () => {
    const rec = new Recorder()
    const answer = await new Browser(rec).request('x', `${url(app)}/login`, {}, () => 'no good')
    expect(answer?.ok).toBe(false)
    expect(rec.failures()).toEqual({ 'no good': 1 })
    expect(rec.examples[0]).toMatch(/^x: GET http:\/\/127\.0\.0\.1:\d+\/login → 302 \(no good\)/)
  })
})
