import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}

// A missing auth-server is the usual reason boot fails: say so in one line rather than with a stack.
const app = await buildApp(config, {
  fastify: {
    logger: {
      level: config.logLevel,
      // Session cookies and tokens never reach the log.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
  },
}).catch((err: Error) => {
  console.error(`web: cannot start: ${err.message}`)
  process.exit(1)
})
closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  await app.close()
})
await app.listen({ port: config.port, host: config.host })
