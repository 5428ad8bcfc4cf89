/**
 * The ordered list of schema migrations. Files are numbered; each is applied once, in order, inside
 * a transaction, and recorded in `schema_migrations`. Ranges by feature keep parallel work apart:
 * 001–009 foundation, 010–019 SCIM, 020–029 SAML and sessions, 030–039 sync, 040–049 web console, 050–059 store, 060–069 throttles, 070–079 webhooks, 080 setup links, 090 IdP metadata, 095 sign-in attempts, 100 single logout, 110 console SSO.
 */
import * as m001 from './001_init.ts'
import * as m020 from './020_saml_expiry.ts'
import * as m030 from './030_sync.ts'
import * as m031 from './031_membership_events.ts'
import * as m040 from './040_oauth_states.ts'
import * as m050 from './050_store_meta.ts'
import * as m051 from './051_audit_retention.ts'
import * as m060 from './060_throttles.ts'
import * as m070 from './070_webhooks.ts'
import * as m080 from './080_setup.ts'
import * as m090 from './090_idp_metadata.ts'
import * as m095 from './095_saml_attempts.ts'
import * as m100 from './100_saml_logout.ts'
import * as m110 from './110_admin_sso.ts'

export interface Migration {
  version: number
  name: string
  up: string
}

export const migrations: Migration[] = [
  { version: 1, name: 'init', up: m001.up },
  { version: 20, name: 'saml_expiry', up: m020.up },
  { version: 30, name: 'sync', up: m030.up },
  { version: 31, name: 'membership_events', up: m031.up },
  { version: 40, name: 'oauth_states', up: m040.up },
  { version: 50, name: 'store_meta', up: m050.up },
  { version: 51, name: 'audit_retention', up: m051.up },
  { version: 60, name: 'throttles', up: m060.up },
  { version: 70, name: 'webhooks', up: m070.up },
  { version: 80, name: 'setup', up: m080.up },
  { version: 90, name: 'idp_metadata', up: m090.up },
  { version: 95, name: 'saml_attempts', up: m095.up },
  { version: 100, name: 'saml_logout', up: m100.up },
  { version: 110, name: 'admin_sso', up: m110.up },
]
