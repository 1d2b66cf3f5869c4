import type { MemoryReport } from '../children/resource-server.js'
import { BenchIssuer } from '../issuer.js'
import { runLoad } from '../load.js'
import type { MemorySample, MemoryTable } from '../report/model.js'
import { RESOURCE_PATH } from '../targets.js'
import { preflight, type ScenarioContext, startResourceServer } from './common.js'
import { AUDIENCE } from './resource-cost.js'

const CACHE_MAX = 1000
const CHECKPOINTS = 10

/**
 * Scenario 4: a resource server (our verifier, verified-token cache on) receives N distinct valid ES256 tokens,
 * each signed just before it is sent (ES256: the
 * cheapest sign-plus-verify pair here, ≈ 70 µs + 110 µs, where EdDSA verifies slower and RSA signs slower); its resident memory is sampled after each tenth. Every token misses the
 * cache and is inserted, so an unbounded cache, key map or counter would show as steady growth.
 */
export async function memory(ctx: ScenarioContext): Promise<MemoryTable[]> {
  const { profile, log } = ctx
  const issuer = await BenchIssuer.start(['ES256'])
  ctx.defer(() => issuer.close())
  const server = await startResourceServer(
    ctx,
    {
      mode: 'verifier-cache',
      issuer: issuer.url,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      algorithms: ['ES256'],
      cacheMax: CACHE_MAX,
    },
    ['--expose-gc'],
  )
  await preflight('memory', server.url, issuer.token('ES256', AUDIENCE), true)

  const send = (amount: number) =>
    runLoad({
      url: server.url,
      connections: profile.connections,
      duration: 0,
      amount,
      requests: [
        {
          method: 'GET',
          path: RESOURCE_PATH,
          setupRequest: (request) => ({
            ...request,
            headers: { authorization: `Bearer ${issuer.token('ES256', AUDIENCE)}` },
          }),
        },
      ],
    })
  const sample = async (tokens: number): Promise<MemorySample> => {
    const { rss, heapUsed } = await server.ask<MemoryReport>('memory')
    return { tokens, rss, heapUsed }
  }

  // Warm-up: JIT, the JWKS fetched, the cache filled past its bound, before the baseline is taken.
  const warmup = Math.max(CACHE_MAX * 2, Math.round(profile.memoryTokens / 50))
  await send(warmup)
  const samples = [await sample(0)]
  log(
    `scenario 4: ${profile.memoryTokens} distinct tokens, baseline RSS ${(samples[0]!.rss / 2 ** 20).toFixed(1)} MiB`,
  )
  const chunk = Math.ceil(profile.memoryTokens / CHECKPOINTS)
  let sent = 0
  let seconds = 0
  while (sent < profile.memoryTokens) {
    const amount = Math.min(chunk, profile.memoryTokens - sent)
    const result = await send(amount)
    sent += result.ok
    seconds += result.seconds
    const point = await sample(sent)
    samples.push(point)
    log(
      `  ${sent} tokens: RSS ${(point.rss / 2 ** 20).toFixed(1)} MiB, heap ${(point.heapUsed / 2 ** 20).toFixed(1)} MiB`,
    )
  }
  return [
    {
      kind: 'memory',
      id: 'memory',
      title: `Scenario 4 — resource-server memory over ${profile.memoryTokens.toLocaleString('en-US')} distinct tokens`,
      samples,
      cacheMax: CACHE_MAX,
      rps: sent / seconds,
    },
  ]
}
