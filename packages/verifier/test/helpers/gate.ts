/** A test server's switch for holding answers back: `hold()` until the returned release is called. */
export function answerGate() {
  let held: Promise<void> | undefined
  return {
    /** Runs `answer` now, or once the current hold is released. */
    after(answer: () => void): void {
      if (held === undefined) answer()
      else void held.then(answer)
    },
    hold(): () => void {
      let release = () => {}
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined
          resolve()
        }
      })
      return release
    },
  }
}
