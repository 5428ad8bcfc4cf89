/**
 * PostgreSQL twin of src/store/migrations/050_store_meta.ts: facts about the store itself, one row
 * per key (the first is `secret_key_check`, see src/secrets/secret-box.ts).
 */
export const up = `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
`
