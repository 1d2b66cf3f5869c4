/** Cookies for one origin, as a browser would keep them. */
export class Jar {
  readonly cookies = new Map<string, string>()
  take(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

const hidden = (page: string) => {
  const fields: Record<string, string> = {}
  for (const [tag] of page.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(tag)?.[1]
    const value = (/value="([^"]*)"/.exec(tag)?.[1] ?? '').replace(/&amp;/g, '&').replace(/&#39;/g, "'")
    if (name) fields[name] = value
  }
  return fields
}

/**
 * Signs in through the web app with fetch, doing what the browser does: /login → the auth-server's login
 * form → the callback. Returns the web app's cookie jar (holding the signed session id); `auth` receives the
 * auth-server's cookies (its sign-in session), for tests that follow the browser there again.
 */
export async function signIn(
  webUrl: string,
  username = 'alice',
  password = 'demo-password',
  auth = new Jar(),
): Promise<Jar> {
  const web = new Jar()
  const start = await fetch(`${webUrl}/login`, { redirect: 'manual' })
  web.take(start)
  const authorize = start.headers.get('location')!
  const loginPage = await fetch(authorize, { redirect: 'manual' })
  auth.take(loginPage)
  const form = new URLSearchParams({ ...hidden(await loginPage.text()), username, password })
  let res = await fetch(new URL('/login', authorize), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: auth.header() },
    body: form,
  })
  auth.take(res)
  let location = new URL(res.headers.get('location') ?? '', authorize)
  while (!location.href.startsWith(webUrl)) {
    res = await fetch(location, { redirect: 'manual', headers: { cookie: auth.header() } })
    auth.take(res)
    if (res.status < 300 || res.status >= 400)
      throw new Error(`sign-in stopped at ${location} with ${res.status}`)
    location = new URL(res.headers.get('location') ?? '', location)
  }
  const callback = await fetch(location, { redirect: 'manual', headers: { cookie: web.header() } })
  web.take(callback)
  if (callback.status !== 302 || !web.cookies.has('sid')) {
    throw new Error(`callback answered ${callback.status}: ${await callback.text()}`)
  }
  return web
}

/** POST a JSON route of the web app the way its page script does. */
export async function postJson(webUrl: string, path: string, jar: Jar) {
  const res = await fetch(`${webUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: jar.header() },
    body: '{}',
  })
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  return { status: res.status, body: (await res.json()) as any }
}
