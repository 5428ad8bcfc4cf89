/**
 * Expiry indexes for the SAML replay cache and outstanding AuthnRequests: both are pruned on every
 * sign-in, which must stay an index range scan however many sign-ins an org has.
 */
export const up = `
CREATE INDEX saml_replay_expiry ON saml_replay (expires_at);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);
`
