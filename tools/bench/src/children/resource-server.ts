/**
 * A resource server for one row, in its own process so the load generator never shares its event loop.
 * Configuration: `BENCH_TARGET` (JSON of {@link TargetConfig}), validated before anything listens.
 */
import { BenchError } from '../errors.js'
import { reportFailure, serveParent } from '../processes.js'
import { buildTarget, TARGET_MODES, type TargetConfig } from '../targets.js'

function readConfig(raw: string | undefined): TargetConfig {
  if (raw === undefined) throw new BenchError('BENCH_ERR_INVALID_CONFIG', 'BENCH_TARGET is not set')
  const config = JSON.parse(raw) as TargetConfig
  const urls = [config.issuer, config.jwksUri, config.introspection?.url].filter((u) => u !== undefined)
  // Load and key fetches stay on this machine: anything but loopback is a configuration error.
  for (const url of urls) {
    if (new URL(url).hostname !== '127.0.0.1') {
      throw new BenchError('BENCH_ERR_INVALID_CONFIG', `${url} is not on 127.0.0.1`)
    }
  }
  if (!(TARGET_MODES as readonly string[]).includes(config.mode)) {
    throw new BenchError('BENCH_ERR_INVALID_CONFIG', `unknown mode ${config.mode}`)
  }
  return config
}

export interface MemoryReport {
  rss: number
  heapUsed: number
  /** Entries currently in our verified-token cache, when the row has one. */
  verified?: number
  tokenCacheHits?: number
  /** Status list fetches the verifier attempted (including 304 revalidations). */
  statusListFetches?: number
}

try {
  const config = readConfig(process.env.BENCH_TARGET)
  const app = await buildTarget(config)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const gc = (globalThis as { gc?: () => void }).gc
  serveParent(
    `http://127.0.0.1:${port}`,
    (question) => {
      if (question !== 'memory') return undefined
      // A full collection first, so the figure is what is retained rather than garbage not yet collected.
      gc?.()
      const { rss, heapUsed } = process.memoryUsage()
      const report: MemoryReport = { rss, heapUsed }
      if (app.hasDecorator('verifier')) {
        const stats = app.verifier.stats()
        report.verified = stats.verified
        report.tokenCacheHits = stats.tokenCacheHits
        report.statusListFetches = stats.statusListFetches
      }
      return report
    },
    () => app.close(),
  )
} catch (error) {
  reportFailure(error)
}
