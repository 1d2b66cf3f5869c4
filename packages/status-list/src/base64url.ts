// Buffer.from(s, 'base64url') skips characters it does not know and ignores stray trailing bits, so two different
// strings could name one list. Only the canonical unpadded form (RFC 7515 §2, RFC 4648 §5) is accepted here.
const ALPHABET = /^[A-Za-z0-9_-]*$/

/** The bytes of a canonical unpadded base64url string, or `undefined` if `text` is anything else. */
export function decodeBase64url(text: string): Buffer | undefined {
  if (text.length % 4 === 1 || !ALPHABET.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64url')
  // Re-encoding gives back the input only when the unused low bits of the last character were zero.
  return bytes.toString('base64url') === text ? bytes : undefined
}
