import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = loadConfig()
const app = await buildApp(config, {
  logger: {
    level: config.logLevel,
    // Credentials never reach the logs, whatever a serializer or a debug statement includes.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.client_secret',
        '*.code',
        '*.code_verifier',
        '*.refresh_token',
        '*.access_token',
        '*.id_token',
        '*.token',
      ],
      censor: '[redacted]',
    },
    ...(process.stdout.isTTY
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
  },
})

closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error')
  await app.close()
})

await app.listen({ port: config.port, host: config.host })
app.log.info(
  { issuer: config.issuer, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') },
  'auth server ready',
)
