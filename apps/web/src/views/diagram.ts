import { html } from '@stateless-auth/service-kit/html'

/** The flow the page demonstrates, drawn once: sign-in at the auth-server, then local verification at each API. */
export const diagram = html`<svg class="diagram" viewBox="0 0 820 290" role="img" aria-labelledby="diagram-title diagram-desc">
  <title id="diagram-title">How the APIs trust a token they never stored</title>
  <desc id="diagram-desc">1: the browser signs in at the auth-server. 2: the web app redeems the code for signed access
  tokens. 3: it calls each API with a bearer token. 4: each API fetched the auth-server's public keys once (JWKS) and
  verifies every token locally with them, without calling the auth-server again.</desc>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>
    </marker>
  </defs>
  <g class="node"><rect x="10" y="120" width="120" height="60" rx="8"/><text x="70" y="146">Browser</text><text x="70" y="164" class="small">cookie: session id</text></g>
  <g class="node"><rect x="230" y="120" width="150" height="60" rx="8"/><text x="305" y="146">Web app (BFF)</text><text x="305" y="164" class="small">holds the tokens</text></g>
  <g class="node auth"><rect x="230" y="10" width="150" height="60" rx="8"/><text x="305" y="36">Auth server</text><text x="305" y="54" class="small">private key signs</text></g>
  <g class="node api"><rect x="560" y="90" width="180" height="60" rx="8"/><text x="650" y="116">orders-api</text><text x="650" y="134" class="small">verifies locally</text></g>
  <g class="node api"><rect x="560" y="200" width="180" height="60" rx="8"/><text x="650" y="226">inventory-api</text><text x="650" y="244" class="small">verifies locally</text></g>
  <path d="M70,120 C70,60 150,40 228,40" class="flow" marker-end="url(#arrow)"/>
  <text x="140" y="100" class="label">1 sign in (code + PKCE)</text>
  <path d="M305,118 L305,72" class="flow" marker-end="url(#arrow)"/>
  <text x="312" y="100" class="label">2 code → signed JWTs</text>
  <path d="M132,150 L228,150" class="flow" marker-end="url(#arrow)"/>
  <path d="M382,140 L558,120" class="flow" marker-end="url(#arrow)"/>
  <path d="M382,160 L558,225" class="flow" marker-end="url(#arrow)"/>
  <text x="415" y="160" class="label">3 Authorization: Bearer …</text>
  <path d="M558,100 C480,40 440,40 382,40" class="keys" marker-end="url(#arrow)"/>
  <path d="M742,230 C805,230 805,24 382,24" class="keys" marker-end="url(#arrow)"/>
  <text x="450" y="14" class="label">4 JWKS: public keys, fetched once, cached</text>
</svg>`
