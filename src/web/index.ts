/**
 * What the web layer serves besides the console pages (those are listed with the rest of the admin
 * side in src/admin/index.ts): the console's embedded assets and the "connect GitHub / Bitbucket"
 * routes of the account page. Nothing here holds a rule of its own.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { accountConnectRoutes } from './account-connect.ts'
import { assetRoutes } from './assets.ts'

export { accountConnectSection } from './account-connect.ts'

export function webRoutes(deps: AppDeps) {
  return new Elysia().use(assetRoutes()).use(accountConnectRoutes(deps))
}
