import { setTimeout as sleep } from 'node:timers/promises'

/** Polls (with real timers) until `check` is true; for work the code under test starts in the background. */
export async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** Settles a promise into a value or the error it rejected with. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise }
  } catch (error) {
    return { error }
  }
}
