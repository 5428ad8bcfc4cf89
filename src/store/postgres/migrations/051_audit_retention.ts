/**
 * PostgreSQL twin of src/store/migrations/051_audit_retention.ts: the time index that lets audit
 * retention (AUDIT_RETENTION_DAYS) delete the oldest rows in small batches without a scan.
 */
export const up = `
CREATE INDEX audit_log_at ON audit_log (at);
`
