/**
 * The directory on a PostgreSQL database whose collation is a language's (ICU "en", which sorts
 * `a_b` before `A1` before `ab` and lowers `É`), against SQLite, which compares bytes and lowers
 * ASCII only. The same rows must come back in the same order and the same filters must pick the
 * same rows on both: pages, keyset walks, member lists, text ranges and case-folded comparisons.
 * (The other contract files run on the test cluster's default `C` databases, where the two agree
 * by construction.)
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { parseFilter } from '../../../src/scim/filter.ts'
import type { Keyset } from '../../../src/store/directory-read.ts'
import type { Store } from '../../../src/store/index.ts'
import { openPostgresStore } from '../../../src/store/postgres/index.ts'
import { testCluster } from '../../support/postgres.ts'
import { addOrg, bytewise, groupRow, TRICKY_IDS, userRow } from './directory-support.ts'
import { sqliteEngine } from './engines.ts'

const ORG = 'collated'
const NAMES = ['a_b', 'a-b', 'Ab', 'a1', 'B', 'aé', 'Zed', '_u', 'A2', 'b2', 'É', 'e', 'z10', 'Z9']
const DISPLAY = ['ÉLODIE Ünal', 'élodie ünal', 'Elodie', 'elodie', 'Ärger', 'arger', 'a_b', 'A-B']

/** A fresh database on the test cluster whose default collation is ICU's English. */
async function englishDatabase(): Promise<string> {
  const { url } = await testCluster()
  const name = `t_icu_${crypto.randomUUID().replaceAll('-', '')}`
  const admin = new SQL(url, { max: 1 })
  try {
    await admin.unsafe(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'`,
    )
  } finally {
    await admin.close()
  }
  return url.replace(/\/postgres$/, `/${name}`)
}

let sqlite: Store
let postgres: Store

async function fill(store: Store): Promise<void> {
  await addOrg(store, ORG)
  for (const [i, id] of TRICKY_IDS.entries()) {
    const userName = `${NAMES[i % NAMES.length]}-${i}@x`
    const displayName = DISPLAY[i % DISPLAY.length] as string
    const emails = [{ type: 'work', value: userName }]
    await store.directory.insertUser(
      userRow(ORG, id, userName, {
        display_name: displayName,
        given_name: NAMES[(i + 3) % NAMES.length] as string,
        email_lower: userName.toLowerCase(),
        resource: JSON.stringify({ userName, emails }),
        created_at: i < 4 ? 7 : 9,
      }),
    )
  }
  for (const [i, name] of NAMES.entries()) {
    await store.directory.insertGroup(groupRow(ORG, `g${TRICKY_IDS[i % TRICKY_IDS.length]}${i}`, name))
  }
  const groupIds = (await store.directory.listGroups(ORG, null, 0, 100)).rows.map((row) => row.id)
  for (const groupId of groupIds) await store.directory.addMembers(ORG, groupId, TRICKY_IDS)
}

beforeAll(async () => {
  sqlite = await sqliteEngine.open()
  postgres = await openPostgresStore(await englishDatabase(), { poolSize: 2 })
  if (postgres.engine.kind !== 'postgres') throw new Error('not postgres')
  // The premise: this database orders text unlike SQLite.
  const [probe] = await postgres.engine.sql<{ first: string }[]>`
    SELECT min(x) AS first FROM unnest(ARRAY['A1', 'a_b']) AS x`
  expect(probe?.first).toBe('a_b')
  await fill(sqlite)
  await fill(postgres)
}, 60_000)

afterAll(async () => {
  await postgres.close()
  await sqlite.close()
})

/** The same question to both stores: their answers must be equal. */
async function same<T>(ask: (store: Store) => Promise<T>): Promise<T> {
  const [fromSqlite, fromPostgres] = await Promise.all([ask(sqlite), ask(postgres)])
  expect(fromPostgres).toEqual(fromSqlite)
  return fromSqlite
}

test('lists and member lists come back in the same order, byte by byte', async () => {
  const users = await same(async (store) => (await store.directory.listUsers(ORG, null, 0, 100)).rows)
  expect(users.map((row) => row.id)).toEqual([
    ...bytewise(TRICKY_IDS.slice(0, 4)),
    ...bytewise(TRICKY_IDS.slice(4)),
  ])
  await same((store) => store.directory.listUsers(ORG, null, 3, 4))
  await same((store) => store.directory.listGroups(ORG, null, 0, 100))
  const group = users[0]?.id as string
  const groupId = (await sqlite.directory.groupIdsOfUser(group))[0] as string
  await same((store) => store.directory.memberIds(groupId))
  await same((store) => store.directory.members(groupId))
  await same((store) => store.directory.groupsOfUser(group))
  await same((store) => store.directory.groupIdsOfUser(group))
  await same((store) => store.directoryRead.groupNamesOfUser(ORG, group))
  await same((store) => store.directoryRead.groupIdsOfUser(ORG, group))
  await same((store) => store.directoryRead.memberIds(ORG, groupId, 5))
  await same(async (store) => [...(await store.directory.usersByIds(ORG, TRICKY_IDS))])
})

test('keyset walks visit the same rows in the same order', async () => {
  const walk = async (store: Store, kind: 'users' | 'groups') => {
    const seen: string[] = []
    let after: Keyset | null = null
    for (let page = 0; page < 50; page++) {
      const rows: Array<{ id: string; created_at: number }> =
        kind === 'users'
          ? await store.directoryRead.usersPage(ORG, after, 3)
          : await store.directoryRead.groupsPage(ORG, after, 3)
      if (rows.length === 0) return seen
      seen.push(...rows.map((row) => row.id))
      const last = rows.at(-1)!
      after = { createdAt: last.created_at, id: last.id }
    }
    throw new Error('the walk did not end')
  }
  expect(await same((store) => walk(store, 'users'))).toHaveLength(TRICKY_IDS.length)
  expect(await same((store) => walk(store, 'groups'))).toHaveLength(NAMES.length)
})

test('filters compare text byte by byte and lower ASCII only, as on SQLite', async () => {
  const filters = [
    'userName gt "a_"',
    'userName lt "b"',
    'userName ge "a-b"',
    'userName le "A"',
    'name.givenName gt "a_b"',
    'name.givenName lt "é"',
    'displayName eq "élodie ünal"',
    'displayName eq "Élodie ünal"',
    'displayName co "LODIE"',
    'displayName sw "É"',
    'displayName sw "é"',
    'displayName ew "ÜNAL"',
    'displayName gt "a_b"',
    'emails[value gt "a-"]',
    'emails[value lt "_"]',
    'emails[value sw "ä"]',
  ]
  const sizes: number[] = []
  for (const filter of filters) {
    const ids = await same(async (store) =>
      (await store.directory.listUsers(ORG, parseFilter(filter), 0, 100)).rows.map((row) => row.id),
    )
    sizes.push(ids.length)
  }
  // The filters split the users: most pick some rows and leave others.
  expect(sizes.filter((size) => size > 0 && size < TRICKY_IDS.length).length).toBeGreaterThan(10)
  // Unicode capitals are not lowered on either engine: "ÉLODIE Ünal" is not "élodie ünal".
  const folded = await same(
    async (store) =>
      (await store.directory.listUsers(ORG, parseFilter('displayName eq "élodie ünal"'), 0, 100)).rows,
  )
  expect(new Set(folded.map((row) => row.display_name))).toEqual(new Set(['élodie ünal']))
  const groups = await same(async (store) =>
    (await store.directory.listGroups(ORG, parseFilter('displayName gt "a_"'), 0, 100)).rows.map(
      (row) => row.display_name_lower,
    ),
  )
  expect([...groups].sort()).toEqual(
    NAMES.map((name) => name.toLowerCase())
      .filter((name) => name > 'a_')
      .sort(),
  )
})
