/** Stable codes for everything that can stop a benchmark run; each says which setup step failed. */
export type BenchErrorCode =
  | 'BENCH_ERR_INVALID_ARGS'
  | 'BENCH_ERR_INVALID_CONFIG'
  | 'BENCH_ERR_CHILD_FAILED'
  | 'BENCH_ERR_PREFLIGHT'
  | 'BENCH_ERR_LOAD'

export class BenchError extends Error {
  override readonly name = 'BenchError'
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}
