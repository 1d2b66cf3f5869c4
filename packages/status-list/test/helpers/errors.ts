import { StatusListError, type StatusListErrorCode } from '@stateless-auth/status-list'

/** The code of the `StatusListError` that `fn` throws; anything else (another error, no error) reads differently. */
export function codeOf(fn: () => unknown): StatusListErrorCode | string {
  try {
    fn()
  } catch (err) {
    return err instanceof StatusListError ? err.code : `untyped ${String(err)}`
  }
  return 'no error'
}
