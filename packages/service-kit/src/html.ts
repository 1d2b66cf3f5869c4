/**
 * An HTML tagged template that escapes what it interpolates, for the few server-rendered pages of the apps
 * (no template engine needed for them).
 *
 * @example
 * ```ts
 * const page = html`<p>Hello, ${name}</p><ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 * reply.type('text/html').send(page.value)
 * ```
 */

/** HTML that has been escaped (or is trusted markup) and can be interpolated without escaping again. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes the five characters that are special in HTML text and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** What `html` accepts: `undefined`, `null` and `false` render as nothing, so `${cond && html`…`}` works. */
export type Interpolation = SafeHtml | string | number | undefined | null | false | readonly Interpolation[]

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return ''
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** Tagged template: every interpolated value is escaped unless it is already `SafeHtml`; arrays are joined. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!
  })
  return new SafeHtml(out)
}
