/**
 * Whether the store's secrets are sealed, and with which key, on PostgreSQL: the twin of
 * `../secrets.ts`, with the same refusals (an encrypted store and no key; a key that is not the one
 * the store was encrypted with) and the same first start with a key (every clear SP private key
 * sealed and the key check written in one transaction).
 *
 * What SQLite gets from its single writer has to be said here, since every instance runs `unlock`
 * when it starts, possibly at the same moment:
 * - the SP keys are read `FOR UPDATE`, in org order, so a second unlock waits for the first one's
 *   commit and then reads the values it sealed (READ COMMITTED re-reads a locked row), never
 *   sealing a value twice; the key check is read after those locks for the same reason;
 * - the key check is inserted `ON CONFLICT DO NOTHING` and, when another instance wrote one first,
 *   compared with ours: two instances starting together with different keys on a clear store give
 *   one that unlocks and one that refuses, never a store marked with one key and sealed with the
 *   other.
 */
import { isSealed, SecretKeyError } from '../../secrets/secret-box.ts'
import type { Repositories } from '../contract.ts'
import { spKeyBinding } from '../integrations.ts'
import { webhookSecretBinding } from '../webhooks.ts'
import { atomic, changed, first, type PgContext, rows } from './executor.ts'

const KEY_CHECK = 'secret_key_check'

const WRONG_KEY = 'SECRET_KEY is not the key this store was encrypted with'

export function storeSecretsRepository(ctx: PgContext): Repositories['secrets'] {
  const { sql, secrets } = ctx
  const keyCheckOn = async (client: typeof sql) =>
    (await first<{ value: string }>(client`SELECT value FROM store_meta WHERE key = ${KEY_CHECK}`))?.value ??
    null

  return {
    encrypted: async () =>
      (await first(sql`SELECT 1 AS one FROM store_meta WHERE key = ${KEY_CHECK}`)) !== null,

    async unlock(now = Date.now()) {
      if (!secrets) {
        // `LIKE 'enc:%'` is `isSealed` (PostgreSQL's LIKE is case-sensitive, and the pattern has no
        // wildcard but the last).
        const sealed = await first(sql`
          SELECT 1 AS one FROM store_meta WHERE key = ${KEY_CHECK}
          UNION ALL SELECT 1 FROM integrations WHERE sp_private_key LIKE 'enc:%'
          UNION ALL SELECT 1 FROM webhook_endpoints WHERE secret LIKE 'enc:%' OR previous_secret LIKE 'enc:%'
          LIMIT 1`)
        if (sealed) {
          throw new SecretKeyError(
            'the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to the key it was encrypted with',
          )
        }
        return { encrypted: false, sealed: 0 }
      }
      const ours = secrets.keyCheck()
      return atomic(ctx, async (tx) => {
        const keys = await rows<{ org_id: string; sp_private_key: string }>(tx`
          SELECT org_id, sp_private_key FROM integrations WHERE sp_private_key IS NOT NULL
          ORDER BY org_id COLLATE "C" FOR UPDATE`)
        const check = await keyCheckOn(tx)
        if (check !== null && check !== ours) throw new SecretKeyError(WRONG_KEY)
        const clear = { orgIds: [] as string[], values: [] as string[], sealed: [] as string[] }
        for (const row of keys) {
          if (isSealed(row.sp_private_key)) {
            // Without a check row (written by no version yet) the values themselves prove the key.
            if (check === null) secrets.open(row.sp_private_key, spKeyBinding(row.org_id))
            continue
          }
          clear.orgIds.push(row.org_id)
          clear.values.push(row.sp_private_key)
          clear.sealed.push(secrets.seal(row.sp_private_key, spKeyBinding(row.org_id)))
        }
        const sealed =
          clear.orgIds.length === 0
            ? 0
            : await changed(tx`
                UPDATE integrations i SET sp_private_key = v.sealed
                FROM unnest(${clear.orgIds}::text[], ${clear.values}::text[], ${clear.sealed}::text[])
                  AS v(org_id, clear, sealed)
                WHERE i.org_id = v.org_id AND i.sp_private_key = v.clear`)
        const hooks = await rows<{
          org_id: string
          id: string
          secret: string
          previous_secret: string | null
        }>(tx`
          SELECT org_id, id, secret, previous_secret FROM webhook_endpoints ORDER BY id COLLATE "C" FOR UPDATE`)
        let sealedHooks = 0
        for (const hook of hooks) {
          const binding = webhookSecretBinding(hook.org_id, hook.id)
          const seal = (value: string | null) => {
            if (value === null) return null
            if (isSealed(value)) {
              if (check === null) secrets.open(value, binding)
              return value
            }
            sealedHooks++
            return secrets.seal(value, binding)
          }
          const secret = seal(hook.secret)
          const previous = seal(hook.previous_secret)
          if (secret !== hook.secret || previous !== hook.previous_secret) {
            await tx`UPDATE webhook_endpoints SET secret = ${secret}, previous_secret = ${previous} WHERE id = ${hook.id}`
          }
        }
        if (check === null) {
          const written = await changed(tx`
            INSERT INTO store_meta (key, value, updated_at) VALUES (${KEY_CHECK}, ${ours}, ${now})
            ON CONFLICT (key) DO NOTHING`)
          if (written === 0 && (await keyCheckOn(tx)) !== ours) throw new SecretKeyError(WRONG_KEY)
        }
        return { encrypted: true, sealed: sealed + sealedHooks }
      })
    },
  }
}
