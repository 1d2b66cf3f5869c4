/** The page's only script: served from this origin so the CSP can forbid inline scripts. */
export const clientScript = `'use strict'
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const c of children) node.append(c)
  return node
}

function tick() {
  const token = document.getElementById('token')
  const out = document.getElementById('countdown')
  if (!token || !out) return
  const left = Number(token.dataset.exp) - Math.floor(Date.now() / 1000)
  out.textContent = left > 0 ? left + ' s' : 'expired ' + -left + ' s ago'
  out.parentElement.classList.toggle('expired', left <= 0)
}
setInterval(tick, 1000)

async function post(url) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  let body
  try { body = await res.json() } catch { body = { error: 'unreadable answer', status: res.status } }
  return { status: res.status, body }
}

async function reloadToken() {
  const res = await fetch('/partials/token')
  if (res.ok) { document.getElementById('token-panel').innerHTML = await res.text(); tick() }
}

const count = (pair) => pair.before === undefined || pair.after === undefined ? 'unavailable' : pair.before + ' → ' + pair.after

function renderCall(call) {
  const box = el('div', { class: 'call' })
  const who = call.api === 'orders' ? 'orders-api' : 'inventory-api'
  const retried = call.retried ? ' (sent again after: ' + call.retried.join(', ') + ')' : ''
  const status = (call.networkError ? 'unreachable (' + call.networkError + ')' : 'HTTP ' + call.status) + retried
  box.append(el('p', { class: 'status ' + (call.status < 300 ? 'ok' : 'refused') }, call.request.method + ' ' + call.request.url + ': ' + status))
  if (call.status && call.status < 400) {
    box.append(el('p', {}, 'Verified locally by ' + who + ' with key kid ', el('code', {}, String(call.request.kid)), '.'))
  } else if (call.wwwAuthenticate) {
    box.append(el('p', {}, 'Refused: ', el('code', {}, call.wwwAuthenticate)))
  }
  const flat = call.observation.jwksFetches.before === call.observation.jwksFetches.after
  box.append(el('p', { class: 'metric' }, who + ' JWKS fetches: ' + count(call.observation.jwksFetches) + (flat ? ' (flat: no call to the auth-server)' : ' (fetched keys)') + '; verified: ' + count(call.observation.verified) + '; refused: ' + count(call.observation.failed)))
  box.append(el('details', {}, el('summary', {}, 'Response body'), el('pre', {}, JSON.stringify(call.body, null, 2))))
  return box
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-url]')
  if (!button) return
  const experiment = button.dataset.kind === 'experiment'
  const target = document.getElementById(button.dataset.target)
  button.disabled = true
  target.replaceChildren(el('p', {}, 'Working…'))
  const clock = button.id === 'exp-revoke' ? liveClock(target) : undefined
  try {
    const { status, body } = await post(button.dataset.url)
    if (status !== 200) {
      target.replaceChildren(el('p', { class: 'status refused', role: 'alert' }, 'HTTP ' + status + ': ' + (body.error_description || body.error || body.message)))
      // 401: this session has ended (refresh token refused, or signed out elsewhere); offer the way back in.
      if (status === 401) target.append(el('p', {}, el('a', { class: 'button', href: '/login', id: 'sign-in-again' }, 'Sign in again')))
    } else if (!experiment) {
      target.replaceChildren(renderCall(body))
    } else {
      const nodes = [el('p', { class: 'outcome ' + body.outcome }, el('strong', {}, body.outcome.replace('-', ' ') + ': '), body.explanation)]
      for (const step of body.steps) {
        nodes.push(el('h4', {}, step.label))
        if (step.call) nodes.push(renderCall(step.call))
        if (step.detail && Array.isArray(step.detail.events)) nodes.push(renderTimeline(step.detail))
        else if (step.detail !== undefined) nodes.push(el('pre', {}, JSON.stringify(step.detail, null, 2)))
      }
      target.replaceChildren(...nodes)
    }
    await reloadToken()
  } catch (err) {
    target.replaceChildren(el('p', { role: 'alert' }, String(err)))
  } finally {
    if (clock) clearInterval(clock)
    button.disabled = false
  }
})

// "Revoke now": a clock from the click while the web app polls both APIs, then the timeline it saw.
function liveClock(target) {
  const started = Date.now()
  const line = el('p', { class: 'metric', id: 'revoke-clock' })
  target.replaceChildren(line)
  const show = () => { line.textContent = 'Revoked; calling both APIs until they refuse: +' + ((Date.now() - started) / 1000).toFixed(1) + ' s' }
  show()
  return setInterval(show, 100)
}

function renderTimeline(detail) {
  const who = (api) => api === 'auth-server' ? 'auth-server' : api + '-api'
  const list = el('ol', { class: 'timeline' })
  for (const event of detail.events) {
    list.append(el('li', { class: 'event ' + event.kind }, el('span', { class: 'at' }, '+' + (event.atMs / 1000).toFixed(1) + ' s'), ' ' + who(event.api) + ': ' + event.kind.replace('_', ' ') + ' — ' + event.detail))
  }
  const counts = ['orders', 'inventory'].map((api) => who(api) + ' ' + count(detail.fetches[api]) + ' list fetches for ' + detail.requests[api] + ' requests').join('; ')
  return el('div', {}, list, el('p', { class: 'metric' }, 'status_list_fetches_total: ' + counts + ' (ttl ' + detail.ttl + ' s)'))
}
tick()
`

export const stylesheet = `:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --accent: #2457c5; --ok: #176b3a; --bad: #a3261b; --line: #d7dce5; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f4f6fa; }
header { padding: 1.5rem 2rem 0.5rem; } header h1 { margin: 0 0 .25rem; font-size: 1.6rem; } header p { margin: 0; color: var(--muted); }
main { padding: 1rem 2rem 2rem; max-width: 1100px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 0 0 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; } h3 { font-size: 1rem; margin: .5rem 0; } h4 { margin: .75rem 0 .25rem; font-size: .95rem; }
button, a.button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button:disabled { opacity: .6; cursor: progress; } button:focus-visible, a:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
.buttons { display: flex; gap: .5rem; margin: .5rem 0; }
.cols { display: grid; grid-template-columns: 1fr 2fr; gap: 1rem; } @media (max-width: 800px) { .cols { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; } th { width: 8rem; color: var(--muted); font-weight: 600; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; } td code { word-break: break-all; }
pre { background: #f0f2f7; padding: .5rem; border-radius: 6px; overflow: auto; max-height: 20rem; } pre.wrap { white-space: pre-wrap; word-break: break-all; }
.countdown strong { font-size: 1.2rem; } .countdown.expired strong { color: var(--bad); }
.status.ok, .outcome.as-explained strong { color: var(--ok); } .status.refused, .outcome.unexpected strong { color: var(--bad); } .outcome.not-run strong { color: var(--muted); }
.metric { color: var(--muted); font-size: .9rem; }
.experiments { padding-left: 1.25rem; } .experiments li { margin-bottom: 1rem; } .experiments p { margin: .25rem 0; }
.result:empty { display: none; } .result { border-left: 3px solid var(--line); padding-left: .75rem; margin-top: .5rem; }
.timeline { list-style: none; padding-left: 0; } .timeline .at { display: inline-block; width: 4.5rem; font-variant-numeric: tabular-nums; color: var(--muted); }
.timeline .revoked { color: var(--bad); } .timeline .list_fetch { color: var(--accent); } .timeline .refused { color: var(--ok); font-weight: 600; }
.notice { background: #e8f1ff; border: 1px solid #b9d0ff; padding: .5rem .75rem; border-radius: 6px; }
.diagram { width: 100%; max-width: 820px; height: auto; }
.diagram .node rect { fill: #eef2fb; stroke: #5b6c94; } .diagram .auth rect { fill: #fff4e0; stroke: #b7791f; } .diagram .api rect { fill: #e9f7ef; stroke: #2f855a; }
.diagram text { text-anchor: middle; font-size: 14px; fill: var(--ink); } .diagram text.small { font-size: 11px; fill: var(--muted); }
.diagram text.label { text-anchor: start; font-size: 11px; fill: var(--muted); }
.diagram .flow { fill: none; stroke: #2457c5; stroke-width: 2; } .diagram .keys { fill: none; stroke: #2f855a; stroke-width: 2; stroke-dasharray: 6 4; } .diagram .arrowhead { fill: #5b6475; }
`
