/** PostgreSQL twin of src/store/migrations/020_saml_expiry.ts: expiry indexes of the SAML caches. */
export const up = `
CREATE INDEX saml_replay_expiry ON saml_replay (expires_at);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);
`
