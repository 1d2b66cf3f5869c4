import { describe, expect, it } from 'vitest'
import { escapeHtml, html, SafeHtml } from '../src/html.js'

describe('html tagged template', () => {
  it('escapes the five HTML-special characters of every interpolated string', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
    expect(html`<p title="${'"><script>'}">${'<b>'}</p>`.value).toBe(
      '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;</p>',
    )
  })

  it('keeps SafeHtml (nested templates) as it is, so nothing is escaped twice', () => {
    const inner = html`<b>${'a&b'}</b>`
    expect(inner).toBeInstanceOf(SafeHtml)
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>a&amp;b</b></p>')
    expect(String(html`${new SafeHtml('<hr>')}`)).toBe('<hr>')
  })

  it('joins arrays and renders undefined, null and false as nothing (0 stays)', () => {
    const items = ['<1>', html`<i>2</i>`, ['3', undefined]]
    expect(html`<ul>${items}</ul>`.value).toBe('<ul>&lt;1&gt;<i>2</i>3</ul>')
    expect(html`${undefined}${null}${false}${0}`.value).toBe('0')
  })
})
