import { parseHttpUrl } from '@stateless-auth/status-list'
import { describe, expect, it } from 'vitest'

describe('parseHttpUrl', () => {
  it.each(['https://as.example/statuslists/1', 'http://127.0.0.1:8080/a?b=c#d'])('parses %s', (value) => {
    expect(parseHttpUrl(value)?.href).toBe(new URL(value).href)
  })

  it.each([
    '',
    'statuslists/1',
    '//as.example/1',
    'ftp://as.example/1',
    'file:///etc/passwd',
    'javascript:1',
  ])('refuses %j: not an absolute http(s) URL', (value) => {
    expect(parseHttpUrl(value)).toBeUndefined()
  })
})
