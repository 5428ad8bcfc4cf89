/**
 * Admin API for the sync scheduler: its state (`…/sync`), the resync (merge duplicates and start a
 * full reconcile) and the change feed for downstream apps (`…/events`). Thin: auth, then services.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { listEvents } from '../sync/events.ts'
import { SyncStatusModel } from '../sync/model.ts'
import { resync } from '../sync/resync.ts'
import { syncStatus } from '../sync/status.ts'
import { adminApi } from './api.ts'
import { EventPageModel, EventsQuery, ResyncModel, ResyncQuery } from './directory-model.ts'
import { isDryRun, OrgSlugParams } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
const tags = ['Sync']

export function syncRoutes(deps: AppDeps) {
  const { store } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .get('/sync', ({ org }) => syncStatus(store, org.id), {
      params: OrgSlugParams,
      response: { 200: SyncStatusModel, ...errors },
      detail: {
        tags,
        summary: "The sync scheduler's state for the org",
        description:
          'Lag (age of the oldest unapplied change) and pending changes are 0 when in sync; a running full ' +
          'reconcile shows processed/total and an ETA; a running removal shows deleted/total.',
      },
    })
    .post('/resync', ({ org, actor, query }) => resync(store, org, { dryRun: isDryRun(query), actor }), {
      params: OrgSlugParams,
      query: ResyncQuery,
      response: { 200: ResyncModel, ...errors, 409: ErrorBody },
      detail: {
        tags,
        summary: 'Merge duplicate users and start a full reconcile',
        description:
          'Each pair merges into the pre-existing account, which keeps its data and links and takes the Okta identity. ' +
          '`?dryRun=true` lists the merges without making them.',
      },
    })
    .get('/events', ({ org, query }) => listEvents(store, org.id, query), {
      params: OrgSlugParams,
      query: EventsQuery,
      response: { 200: EventPageModel, ...errors },
      detail: {
        tags,
        summary: 'The ordered change feed for downstream apps',
        description:
          'Events after `after`, oldest first. Keep polling with `after=nextCursor`; ids only increase, nothing is skipped.',
      },
    })
}
