import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Stack, startStack } from './helpers/stack.js'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// A machine with only Node and pnpm skips this file with one line saying how to enable it; CI must run it.
const CHROMIUM_HINT = `no Chromium at ${executablePath} (set CHROMIUM_PATH or apt-get install chromium)`
const haveChromium = existsSync(executablePath)
if (!haveChromium && process.env.CI === 'true') throw new Error(`CI=true but ${CHROMIUM_HINT}`)
if (!haveChromium) console.warn(`[stateless-auth] browser test skipped: ${CHROMIUM_HINT}`)
// Debian's Chromium, no browser download: the flags keep it quiet, sandbox-free (root in CI) and offline.
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]

describe.skipIf(!haveChromium)('the demo page in a real browser', () => {
  let stack: Stack
  let context: BrowserContext
  let profile: string

  beforeAll(async () => {
    stack = await startStack()
    profile = mkdtempSync(join(tmpdir(), 'web-chromium-'))
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args })
  })

  afterAll(async () => {
    await context?.close()
    await stack?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('signs alice in, shows her orders, explains the tamper 401, and signs her out', {
    timeout: 60_000,
  }, async () => {
    const page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(10_000)
    await page.goto(stack.webUrl)
    await page.getByRole('link', { name: 'Sign in' }).click()

    // The auth-server's own login page: the browser really goes there and back.
    await page.waitForURL(/\/authorize\?/)
    expect(new URL(page.url()).origin).toBe(stack.issuer)
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('demo-password')
    await page.locator('form button[type=submit]').first().click()
    await page.waitForURL(`${stack.webUrl}/`)
    await expect.poll(() => page.locator('#username').textContent()).toBe('alice')
    expect(await page.locator('#token').getAttribute('data-exp')).toMatch(/^\d+$/)
    await expect.poll(() => page.locator('#countdown').textContent()).toMatch(/^\d+ s$/)

    await page.locator('#place-order').click()
    await expect.poll(() => page.locator('#result-orders').textContent()).toContain('HTTP 201')
    await page.locator('#call-orders').click()
    await expect.poll(() => page.locator('#result-orders').textContent()).toContain('widget-blue')
    const orders = await page.locator('#result-orders').textContent()
    expect(orders).toContain('Verified locally by orders-api with key kid')
    expect(orders).toMatch(/JWKS fetches: (\d+) → \1 \(flat/)

    await page.locator('#exp-tamper').click()
    await expect.poll(() => page.locator('#result-exp-tamper').textContent()).toContain('as explained')
    const tamper = await page.locator('#result-exp-tamper').textContent()
    expect(tamper).toContain('HTTP 401')
    expect(tamper).toContain('invalid_token')
    expect(tamper).toContain('signature no longer matches')

    const shot = join(profile, 'page.png')
    await page.screenshot({
      path: process.env.UPDATE_SCREENSHOT ? 'docs/screenshot.png' : shot,
      fullPage: true,
    })
    if (!process.env.UPDATE_SCREENSHOT) expect(statSync(shot).size).toBeGreaterThan(10_000)

    await page.locator('#logout').click()
    // Through the auth-server's end_session_endpoint and back (issue 12, item 4).
    await page.waitForURL(/[?&]state=signed-out/)
    expect(await page.textContent('body')).toContain('here and at the auth-server')
    await expect.poll(() => page.getByRole('link', { name: 'Sign in' }).count()).toBe(1)
    const after = await page.request.post(`${stack.webUrl}/api/call/orders`, {
      headers: { 'content-type': 'application/json' },
      data: {},
    })
    expect(after.status()).toBe(401)
    expect(await after.json()).toMatchObject({ error: 'WEB_ERR_NOT_SIGNED_IN' })
  })
})
