/**
 * Facts about the store itself, one row per key. The first is `secret_key_check`: present when the
 * store's secrets are sealed with a SECRET_KEY, holding that key's check value (an HMAC of a fixed
 * label, see src/secrets/secret-box.ts), so a start without the key, or with another one, is refused
 * before anything is read.
 */
export const up = `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`
