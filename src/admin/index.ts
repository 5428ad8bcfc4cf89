/**
 * The admin side of an org in one list: the admin API under `/api/v1/orgs/{slug}/…` (modules that
 * start with `adminApi`, src/admin/api.ts) and the console under `{orgURL}/admin/…` (modules that
 * start with `consolePages`, src/web/console.ts), both over the same services. A new capability with
 * a console page and an API route is one module and one line here (docs/architecture.md, "How to add
 * a console page + API route").
 *
 * What else lives in src/admin/: who the caller is (`principal.ts`: API key or console cookie), the
 * admin's browser session (`session.ts`), sign-in and sign-out (`sign-in.ts`), and the API's TypeBox
 * models (`*model.ts`).
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { accessPageRoutes } from '../web/access-pages.ts'
import { adminSsoRoutes } from '../web/admin-sso-routes.ts'
import { authRoutes } from '../web/auth-routes.ts'
import { directoryPageRoutes } from '../web/directory-pages.ts'
import { firstRunRoutes } from '../web/first-run-routes.ts'
import { integrationMetadataRoutes } from '../web/integration-metadata.ts'
import { integrationPageRoutes } from '../web/integration-routes.ts'
import { integrationSettingsPageRoutes } from '../web/integration-settings-page.ts'
import { LoginThrottle, signInThrottleStores } from '../web/rate-limit.ts'
import { setupLinkRoutes } from '../web/setup-link-routes.ts'
import { signInAttemptPageRoutes } from '../web/sign-in-attempts-pages.ts'
import { accessRoutes } from './access-routes.ts'
import { directoryRoutes } from './directory-routes.ts'
import { integrationRoutes } from './integration-routes.ts'
import { samlAdminRoutes } from './saml-routes.ts'
import { setupLinkAdminRoutes } from './setup-links-routes.ts'
import { signInAttemptRoutes } from './sign-in-attempts-routes.ts'
import { syncRoutes } from './sync-routes.ts'
import { webhookRoutes } from './webhooks-routes.ts'

export function adminRoutes(deps: AppDeps) {
  const throttle = new LoginThrottle(signInThrottleStores(deps.store))
  return (
    new Elysia()
      // The admin API
      .use(integrationRoutes(deps))
      .use(samlAdminRoutes(deps))
      .use(signInAttemptRoutes(deps))
      .use(directoryRoutes(deps))
      .use(syncRoutes(deps))
      .use(accessRoutes(deps))
      // The console: sign-in, then its pages
      .use(authRoutes({ ...deps, throttle }))
      .use(adminSsoRoutes(deps))
      .use(integrationPageRoutes(deps))
      .use(integrationSettingsPageRoutes(deps))
      .use(integrationMetadataRoutes(deps))
      .use(directoryPageRoutes(deps))
      .use(accessPageRoutes(deps))
      .use(webhookRoutes(deps))
      .use(signInAttemptPageRoutes(deps))
      // Setup links (API + console), the link's own page, and the front door (first run)
      .use(setupLinkAdminRoutes(deps))
      .use(setupLinkRoutes(deps))
      .use(firstRunRoutes(deps))
  )
}
