/**
 * Audit retention (AUDIT_RETENTION_DAYS) deletes the oldest rows in small batches; an index on the
 * time lets each batch find them without scanning the log.
 */
export const up = `
CREATE INDEX audit_log_at ON audit_log (at);
`
