import { readBody } from '@stateless-auth/experiments'
/** What an API answered: the parts the narration shows. */
export interface Answer {
  status: number
  wwwAuthenticate: string | undefined
  body: unknown
}

/** GET `url` with the token, or POST `body` as JSON when one is given. */
export async function callApi(url: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  })
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined,
    body: await readBody(res),
  }
}

/** GET `url` with exactly these `Authorization` and `DPoP` headers, as anyone holding them could. */
export async function callWith(
  url: string,
  headers: { authorization: string; dpop?: string },
): Promise<Answer> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) })
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined,
    body: await readBody(res),
  }
}

/** The sum of one Prometheus counter's series at `${baseUrl}/metrics`. */
export async function counter(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text()
  let total = 0
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line)
    if (match?.[1] === name) total += Number(match[2])
  }
  return total
}

export const short = (token: string) => `${token.slice(0, 16)}…${token.slice(-6)}`

export const describe = (a: Answer) =>
  `${a.status}${a.wwwAuthenticate ? ` WWW-Authenticate: ${a.wwwAuthenticate}` : ''}${
    a.status < 300 ? ` ${JSON.stringify(a.body).slice(0, 100)}` : ''
  }`
