/**
 * The ordered list of schema migrations. Files are numbered; each is applied once, in order, inside
 * a transaction, and recorded in `schema_migrations`. Ranges by feature keep parallel work apart:
 * 001–009 foundation, 010–019 SCIM, 020–029 SAML and sessions, 030–039 sync, 040–049 web console.
 */
import * as m001 from './001_init.ts'

export interface Migration {
  version: number
  name: string
  up: string
}

export const migrations: Migration[] = [{ version: 1, name: 'init', up: m001.up }]
