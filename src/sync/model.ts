/**
 * TypeBox models of what the sync side shows: the one source of the `SyncStatus` type
 * (src/sync/status.ts builds it) and of its OpenAPI entry (src/admin/sync-routes.ts answers it).
 */
import { type Static, Type as T } from '@sinclair/typebox'

export const SyncStatusModel = T.Object(
  {
    lagSeconds: T.Number({ description: 'Age of the oldest unapplied change; 0 when in sync' }),
    pendingChanges: T.Integer(),
    fullReconcile: T.Object({
      running: T.Boolean(),
      processed: T.Integer(),
      total: T.Integer(),
      startedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
      finishedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
      etaSeconds: T.Union([T.Number(), T.Null()]),
    }),
    lastFullReconcileAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    lastError: T.Union([T.String(), T.Null()]),
    removal: T.Optional(T.Object({ running: T.Boolean(), deleted: T.Integer(), total: T.Integer() })),
    holder: T.Union([T.String(), T.Null()], {
      description:
        'The instance working on this org (`host:pid:random`), while its lease is live; null when none is',
    }),
  },
  { title: 'SyncStatus' },
)

/** The scheduler's state for one org. */
export type SyncStatus = Static<typeof SyncStatusModel>
