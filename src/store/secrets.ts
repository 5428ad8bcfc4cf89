/**
 * Whether the store's secrets are sealed, and with which key: the `store_meta` key-check row and the
 * start-up step `unlock`, which the server runs once before serving. It refuses a store that is
 * encrypted when no key is given, or a key that is not the one it was encrypted with; given a key
 * on a store that still holds clear SP private keys, it seals them all and writes the key check in
 * one transaction (a crash half-way leaves the store as it was).
 *
 * Only SP private keys and webhook signing secrets are kept readable; every other credential (SCIM tokens, API keys, session
 * tokens, admin passwords) is stored as a one-way hash, and OAuth client secrets are settings.
 */
import { isSealed, type SecretBox, SecretKeyError } from '../secrets/secret-box.ts'
import { type Db, inTransaction } from './database.ts'
import { spKeyBinding } from './integrations.ts'
import { webhookSecretBinding } from './webhooks.ts'

const KEY_CHECK = 'secret_key_check'

export interface UnlockResult {
  encrypted: boolean
  /** Clear secrets sealed by this start (once, on the first start with a key). */
  sealed: number
}

export function storeSecretsRepository(db: Db, secrets: SecretBox | null) {
  const meta = db.query<{ value: string }, [string]>('SELECT value FROM store_meta WHERE key = ?')
  const putMeta = db.query(
    `INSERT INTO store_meta (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  )
  const spKeys = db.query<{ org_id: string; sp_private_key: string }, []>(
    'SELECT org_id, sp_private_key FROM integrations WHERE sp_private_key IS NOT NULL',
  )
  const sealSpKey = db.query(
    'UPDATE integrations SET sp_private_key = ? WHERE org_id = ? AND sp_private_key = ?',
  )
  // Webhook secrets (current and previous): one row per secret, sealed the same way.
  const hookSecrets = db.query<{ org_id: string; id: string; column: string; value: string }, []>(
    `SELECT org_id, id, 'secret' AS "column", secret AS value FROM webhook_endpoints
     UNION ALL SELECT org_id, id, 'previous_secret', previous_secret FROM webhook_endpoints
       WHERE previous_secret IS NOT NULL`,
  )
  const sealHookSecret = db.query('UPDATE webhook_endpoints SET secret = ?1 WHERE id = ?2 AND secret = ?3')
  const sealHookPrevious = db.query(
    'UPDATE webhook_endpoints SET previous_secret = ?1 WHERE id = ?2 AND previous_secret = ?3',
  )

  const unlock = (now = Date.now()): UnlockResult => {
    const check = meta.get(KEY_CHECK)?.value ?? null
    if (!secrets) {
      if (
        check !== null ||
        spKeys.all().some((row) => isSealed(row.sp_private_key)) ||
        hookSecrets.all().some((row) => isSealed(row.value))
      ) {
        throw new SecretKeyError(
          'the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to the key it was encrypted with',
        )
      }
      return { encrypted: false, sealed: 0 }
    }
    if (check !== null && check !== secrets.keyCheck()) {
      throw new SecretKeyError('SECRET_KEY is not the key this store was encrypted with')
    }
    return inTransaction(db, () => {
      let sealed = 0
      for (const row of spKeys.all()) {
        if (isSealed(row.sp_private_key)) {
          // Without a check row (written by no version yet) the values themselves prove the key.
          if (check === null) secrets.open(row.sp_private_key, spKeyBinding(row.org_id))
          continue
        }
        sealSpKey.run(
          secrets.seal(row.sp_private_key, spKeyBinding(row.org_id)),
          row.org_id,
          row.sp_private_key,
        )
        sealed++
      }
      for (const row of hookSecrets.all()) {
        const binding = webhookSecretBinding(row.org_id, row.id)
        if (isSealed(row.value)) {
          if (check === null) secrets.open(row.value, binding)
          continue
        }
        const statement = row.column === 'secret' ? sealHookSecret : sealHookPrevious
        statement.run(secrets.seal(row.value, binding), row.id, row.value)
        sealed++
      }
      if (check === null) putMeta.run(KEY_CHECK, secrets.keyCheck(), now)
      return { encrypted: true, sealed }
    })
  }

  return {
    /** True when the store is marked as encrypted (a key check is stored). */
    encrypted: () => meta.get(KEY_CHECK) !== null,
    unlock,
  }
}
