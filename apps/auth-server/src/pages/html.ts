import { html, type SafeHtml } from '@stateless-auth/service-kit/html'

export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { width: min(26rem, 92vw); padding: 2rem; border: 1px solid GrayText; border-radius: 12px; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
label { display: block; margin: 0.75rem 0 0.25rem; font-weight: 600; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 0.6rem; font-size: 1rem; }
button { margin-top: 1.25rem; padding: 0.6rem 1.2rem; font-size: 1rem; border-radius: 6px; cursor: pointer; }
.actions { display: flex; gap: 0.75rem; }
.error { padding: 0.6rem 0.8rem; border-left: 4px solid #c62828; background: color-mix(in srgb, #c62828 12%, Canvas); }
.muted { color: GrayText; font-size: 0.9rem; }
ul.scopes { padding-left: 1.2rem; }
`

/** The page frame. CSP for HTML pages: nothing but our stylesheet, forms to ourselves and the client. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body><main>${body}</main></body>
</html>`.value
}

export function pageCsp(formTargets: string[] = []): string {
  const formAction = ["'self'", ...formTargets].join(' ')
  // form-action covers the redirect that follows a form post, so the client's origin must be allowed too.
  return `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`
}
