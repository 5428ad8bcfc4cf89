/**
 * What a SCIM filter may name, per resource type: the complete list of filterable attributes and
 * the column (or JSON element member) each one compares, over `scim_users` as `u` and `scim_groups`
 * as `g`. Anything not listed here is a 400 `invalidFilter` naming the attribute (./condition.ts).
 * GET /Schemas and the docs describe the same list.
 *
 * Columns are described without any engine's spelling: plain SQL both engines read alike, or a
 * member of a JSON array element that each engine reads its own way (./sqlite.ts, ./postgres.ts).
 */

/**
 * What a comparison reads: SQL that both engines read alike (a column, a literal), or a member of
 * the JSON array element an `exists` is looking at (`value` of one email), which each engine reads
 * its own way. `as` says what the member holds once read: text, or a flag compared with 1 and 0.
 */
export type Operand = { kind: 'sql'; sql: string } | { kind: 'element'; member: string; as: 'text' | 'flag' }

/** Where the elements of a multi-valued attribute come from. */
export type Source =
  /** The elements of a JSON array in a row's stored resource (`emails` of `u.resource`). */
  | { kind: 'jsonArray'; column: string; member: string }
  /** Rows of another table, joined by SQL both engines share (`scim_memberships`). */
  | { kind: 'rows'; exists: (inner: string) => string }

export type ColumnType = 'string' | 'boolean' | 'date'

export interface Column {
  operand: Operand
  type: ColumnType
  /** How stored text compares: `lowered` columns hold lowercase, `exact` compare as is, `fold` via lower(). */
  text?: 'lowered' | 'exact' | 'fold'
}

export interface MultiValued {
  source: Source
  /** The element members a value path (`emails[type eq "work"]`) may compare. */
  columns: Record<string, Column>
  /** An indexed column that `[… and value eq "x"]` also compares, so the lookup uses its index. */
  narrow?: Column
}

export interface Target {
  /** Plain attributes, keyed by lowercase `name` or `name.sub`. */
  columns: Record<string, Column>
  /** Multi-valued attributes filtered element by element: `emails[type eq "work"]`. */
  multi: Record<string, MultiValued>
  /** Attributes only comparable with `eq` through a sub-query (group members). */
  equalsOnly?: Record<string, (placeholder: string) => string>
  coreUri: string
}

const sql = (text: string): Operand => ({ kind: 'sql', sql: text })
const created = (alias: string): Column => ({ operand: sql(`${alias}.created_at`), type: 'date' })
const updated = (alias: string): Column => ({ operand: sql(`${alias}.updated_at`), type: 'date' })
const exact = (text: string): Column => ({ operand: sql(text), type: 'string', text: 'exact' })
const lowered = (text: string): Column => ({ operand: sql(text), type: 'string', text: 'lowered' })
const fold = (text: string): Column => ({ operand: sql(text), type: 'string', text: 'fold' })
const elementText = (member: string): Column => ({
  operand: { kind: 'element', member, as: 'text' },
  type: 'string',
  text: 'fold',
})

const emailLower = lowered('u.email_lower')

export const USER_TARGET: Target = {
  coreUri: 'urn:ietf:params:scim:schemas:core:2.0:user',
  columns: {
    id: exact('u.id'),
    username: lowered('u.user_name_lower'),
    externalid: exact('u.external_id'),
    displayname: fold('u.display_name'),
    'name.givenname': fold('u.given_name'),
    'name.familyname': fold('u.family_name'),
    active: { operand: sql('u.active'), type: 'boolean' },
    // Okta's "email" unique identifier: the user's primary (or first) email, indexed.
    email: emailLower,
    emails: emailLower,
    'emails.value': emailLower,
    'meta.created': created('u'),
    'meta.lastmodified': updated('u'),
    // Lets a root `/.search` ask for one resource type.
    'meta.resourcetype': exact("'User'"),
  },
  multi: {
    emails: {
      source: { kind: 'jsonArray', column: 'u.resource', member: 'emails' },
      columns: {
        value: elementText('value'),
        type: elementText('type'),
        display: elementText('display'),
        primary: { operand: { kind: 'element', member: 'primary', as: 'flag' }, type: 'boolean' },
      },
      narrow: emailLower,
    },
  },
}

// Through the memberships' (user_id, group_id) index: the groups of one user, not a scan of groups.
const memberOf = (placeholder: string) =>
  `g.id IN (SELECT m.group_id FROM scim_memberships m WHERE m.user_id = ${placeholder})`

export const GROUP_TARGET: Target = {
  coreUri: 'urn:ietf:params:scim:schemas:core:2.0:group',
  columns: {
    id: exact('g.id'),
    displayname: lowered('g.display_name_lower'),
    externalid: exact('g.external_id'),
    'meta.created': created('g'),
    'meta.lastmodified': updated('g'),
    'meta.resourcetype': exact("'Group'"),
  },
  multi: {
    members: {
      source: {
        kind: 'rows',
        exists: (inner) => `EXISTS (SELECT 1 FROM scim_memberships m WHERE m.group_id = g.id AND ${inner})`,
      },
      columns: { value: exact('m.user_id') },
    },
  },
  equalsOnly: { members: memberOf, 'members.value': memberOf },
}

/** The targets by what a directory list names. */
export const TARGETS = { users: USER_TARGET, groups: GROUP_TARGET } as const
export type TargetName = keyof typeof TARGETS
