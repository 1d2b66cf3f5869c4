import { loggerOptions } from '@stateless-auth/service-kit/logger'
import { configOrExit, startServer } from '@stateless-auth/service-kit/server'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = configOrExit(() => loadConfig())
const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
await startServer(app, {
  port: config.port,
  host: config.host,
  // The operator routes listen apart, loopback unless ADMIN_HOST says otherwise (issue 12, item 1).
  alongside: [{ app: app.adminApp, port: config.adminPort, host: config.adminHost }],
})
app.log.info(
  {
    issuer: config.issuer,
    admin: app.adminApp.listeningOrigin,
    database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
  },
  'auth server ready',
)
