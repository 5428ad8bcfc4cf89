/**
 * The web console: every server-rendered admin page and its embedded assets, as one Elysia plugin
 * the app `.use`s. Pages call the same services as the admin API; nothing here holds a rule of its own.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { accessPageRoutes } from './access-pages.ts'
import { accountConnectRoutes } from './account-connect.ts'
import { assetRoutes } from './assets.ts'
import { authRoutes } from './auth-routes.ts'
import { directoryPageRoutes } from './directory-pages.ts'
import { integrationPageRoutes } from './integration-routes.ts'
import { LoginThrottle, signInThrottleStores } from './rate-limit.ts'

export { accountConnectSection } from './account-connect.ts'
export { adminSessionLookup } from './admin-session.ts'

export function webRoutes(deps: AppDeps) {
  const throttle = new LoginThrottle(signInThrottleStores(deps.store))
  return new Elysia()
    .use(assetRoutes())
    .use(authRoutes({ ...deps, throttle }))
    .use(integrationPageRoutes(deps))
    .use(directoryPageRoutes(deps))
    .use(accountConnectRoutes(deps))
    .use(accessPageRoutes(deps))
}
