/**
 * PostgreSQL twin of src/store/migrations/050_store_meta.ts: facts about the store itself, one row
 * per key (the first is `secret_key_check`, see src/secrets/secret-box.ts).
 */
export const up = `
CREATE TABLE store_meta (
  key TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL,
  updated_at BIGINT NOT NULL
);
`
