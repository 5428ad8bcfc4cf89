/**
 * The session contract (`store.sessions`), on both engines: a session reads back by its token hash
 * exactly as written, whichever instance issued it; touching moves only `last_seen_at`; ending one
 * session, every session of a subject (of one kind, in one org) or every one but the caller's own
 * takes effect at once on the other instance too (no instance may keep a revoked session alive);
 * `removeExpired` takes the sessions whose time has come, in every org; `removeForNameId` ends the
 * user sessions of one SAML subject in one org (only the named SessionIndexes when given). Through the sessions
 * feature (`src/sessions/service.ts`): a session issued on one instance is live on the other, is no
 * session under another org or kind, and is gone for both once it expired (absolute or idle).
 */
import { expect, test } from 'bun:test'
import {
  endOtherSessionsOf,
  endSession,
  endSessionsOf,
  IDLE_MS,
  issueSession,
  verifySession,
} from '../../../src/sessions/service.ts'
import { UniqueViolation } from '../../../src/store/errors.ts'
import { hashSecret } from '../../../src/store/ids.ts'
import type { Store } from '../../../src/store/index.ts'
import { eachEngine, openStores } from './engines.ts'
import { orgRow, sessionRow } from './org-state-support.ts'

const NOW = 1_700_000_000_000
const ORG = 'org-s'
const OTHER = 'org-t'

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
  })

  test('a session reads back by its hash exactly as written, on every instance', async () => {
    const row = { ...sessionRow(ORG, 'h-1', 'acc-1', 'user'), created_at: NOW, last_seen_at: NOW }
    await store.sessions.insert(row)
    expect(await twin.sessions.byHash('h-1')).toEqual(row)
    expect(await twin.sessions.byHash('h-unknown')).toBeNull()
    await expect(twin.sessions.insert({ ...row, subject_id: 'acc-2' })).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    expect((await store.sessions.byHash('h-1'))?.subject_id).toBe('acc-1')
  })

  test('touching a session moves only its last_seen_at', async () => {
    const row = sessionRow(ORG, 'h-touch', 'acc-1', 'admin')
    await store.sessions.insert(row)
    await twin.sessions.touch('h-touch', NOW + 5)
    expect(await store.sessions.byHash('h-touch')).toEqual({ ...row, last_seen_at: NOW + 5 })
    await twin.sessions.touch('h-unknown', NOW)
    expect(await store.sessions.byHash('h-unknown')).toBeNull()
  })

  test('ending one session ends it for every instance, and only it', async () => {
    await store.sessions.insert(sessionRow(ORG, 'h-end', 'acc-3', 'user'))
    await store.sessions.insert(sessionRow(ORG, 'h-end-2', 'acc-3', 'user'))
    await twin.sessions.remove('h-end')
    expect(await store.sessions.byHash('h-end')).toBeNull()
    expect(await store.sessions.byHash('h-end-2')).not.toBeNull()
    await twin.sessions.remove('h-end')
  })

  test("ending a subject's sessions takes that kind in that org only, and counts them", async () => {
    await store.sessions.insert(sessionRow(ORG, 'h-s1', 'subject-1', 'user'))
    await store.sessions.insert(sessionRow(ORG, 'h-s2', 'subject-1', 'user'))
    await store.sessions.insert(sessionRow(ORG, 'h-s3', 'subject-1', 'admin'))
    await store.sessions.insert(sessionRow(OTHER, 'h-s4', 'subject-1', 'user'))
    await store.sessions.insert(sessionRow(ORG, 'h-s5', 'subject-2', 'user'))
    expect(await twin.sessions.removeForSubject(ORG, 'subject-1')).toBe(2)
    expect(await twin.sessions.removeForSubject(ORG, 'subject-1', 'user')).toBe(0)
    for (const gone of ['h-s1', 'h-s2']) expect(await store.sessions.byHash(gone)).toBeNull()
    for (const kept of ['h-s3', 'h-s4', 'h-s5']) expect(await store.sessions.byHash(kept)).not.toBeNull()
    expect(await store.sessions.removeForSubject(ORG, 'subject-1', 'admin')).toBe(1)
    expect(await store.sessions.byHash('h-s4')).not.toBeNull()
  })

  test("ending a subject's other sessions keeps the caller's own", async () => {
    for (const hash of ['h-own', 'h-x1', 'h-x2'])
      await store.sessions.insert(sessionRow(ORG, hash, 'adm-1', 'admin'))
    await store.sessions.insert(sessionRow(ORG, 'h-x3', 'adm-1', 'user'))
    await store.sessions.insert(sessionRow(OTHER, 'h-x4', 'adm-1', 'admin'))
    expect(await twin.sessions.removeForSubjectExcept(ORG, 'adm-1', 'admin', 'h-own')).toBe(2)
    expect(await store.sessions.byHash('h-own')).not.toBeNull()
    expect(await store.sessions.byHash('h-x1')).toBeNull()
    expect(await store.sessions.byHash('h-x3')).not.toBeNull()
    expect(await store.sessions.byHash('h-x4')).not.toBeNull()
    expect(await twin.sessions.removeForSubjectExcept(ORG, 'adm-1', 'admin', 'h-own')).toBe(0)
  })

  test('removeExpired takes sessions from their expiry instant on, in every org', async () => {
    const kept = await engine.open()
    try {
      for (const org of [ORG, OTHER]) await kept.orgs.insert(orgRow(org))
      await kept.sessions.insert({ ...sessionRow(ORG, 'old', 'a', 'user'), expires_at: NOW - 1 })
      await kept.sessions.insert({ ...sessionRow(OTHER, 'at-now', 'b', 'admin'), expires_at: NOW })
      await kept.sessions.insert({ ...sessionRow(ORG, 'live', 'c', 'user'), expires_at: NOW + 1 })
      expect(await kept.sessions.removeExpired(NOW)).toBe(2)
      expect(await kept.sessions.removeExpired(NOW)).toBe(0)
      expect(await kept.sessions.byHash('at-now')).toBeNull()
      expect((await kept.sessions.byHash('live'))?.subject_id).toBe('c')
    } finally {
      await kept.close()
    }
  })

  test('a session issued on one instance is live on the other, in its org and kind only', async () => {
    const issued = await issueSession(store, { orgId: ORG, kind: 'user', subjectId: 'acc-9' }, NOW)
    const live = await verifySession(twin, issued.token, ORG, 'user', NOW + 1)
    expect(live).toEqual({
      orgId: ORG,
      kind: 'user',
      subjectId: 'acc-9',
      csrfToken: issued.csrfToken,
      tokenHash: hashSecret(issued.token),
      accountId: null,
      saml: null,
    })
    expect(await verifySession(twin, issued.token, OTHER, 'user', NOW + 1)).toBeNull()
    expect(await verifySession(twin, issued.token, ORG, 'admin', NOW + 1)).toBeNull()
    // Refused elsewhere is not ended: the session still works where it belongs.
    expect(await verifySession(store, issued.token, ORG, 'user', NOW + 2)).not.toBeNull()
  })

  test('a session ended or revoked on one instance is no session on the other', async () => {
    const a = await issueSession(store, { orgId: ORG, kind: 'user', subjectId: 'acc-r' }, NOW)
    const b = await issueSession(twin, { orgId: ORG, kind: 'user', subjectId: 'acc-r' }, NOW)
    const c = await issueSession(store, { orgId: ORG, kind: 'user', subjectId: 'acc-r' }, NOW)
    await endSession(store, a.token)
    expect(await verifySession(twin, a.token, ORG, 'user', NOW)).toBeNull()
    expect(await endOtherSessionsOf(twin, ORG, 'acc-r', 'user', c.token)).toBe(1)
    expect(await verifySession(store, b.token, ORG, 'user', NOW)).toBeNull()
    expect(await verifySession(store, c.token, ORG, 'user', NOW)).not.toBeNull()
    expect(await endSessionsOf(store, ORG, 'acc-r')).toBe(1)
    expect(await verifySession(twin, c.token, ORG, 'user', NOW)).toBeNull()
  })

  test('an expired or idle session is gone for every instance once one of them saw it', async () => {
    const absolute = await issueSession(store, { orgId: ORG, kind: 'admin', subjectId: 'adm-e' }, NOW)
    expect(await verifySession(twin, absolute.token, ORG, 'admin', absolute.expiresAt)).toBeNull()
    expect(await store.sessions.byHash(hashSecret(absolute.token))).toBeNull()

    const idle = await issueSession(store, { orgId: ORG, kind: 'user', subjectId: 'acc-i' }, NOW)
    // A request on the other instance just before the idle limit keeps it alive from then on.
    const later = NOW + IDLE_MS - 1
    expect(await verifySession(twin, idle.token, ORG, 'user', later)).not.toBeNull()
    expect((await store.sessions.byHash(hashSecret(idle.token)))?.last_seen_at).toBe(later)
    expect(await verifySession(store, idle.token, ORG, 'user', later + IDLE_MS - 1)).not.toBeNull()
    expect(await verifySession(store, idle.token, ORG, 'user', later + 2 * IDLE_MS)).toBeNull()
    expect(await twin.sessions.byHash(hashSecret(idle.token))).toBeNull()
  })

  test('a SAML subject reads back with its session; removeForNameId ends that subject in that org only', async () => {
    const saml = (
      hash: string,
      org: string,
      nameId: string,
      index: string | null,
      kind: 'user' | 'admin' = 'user',
    ) => ({
      ...sessionRow(org, hash, `acc-of-${hash}`, kind),
      name_id: nameId,
      name_id_format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      session_index: index,
    })
    const first = saml('h-n1', ORG, 'ada@example.com', '_idx1')
    await store.sessions.insert(first)
    expect(await twin.sessions.byHash('h-n1')).toEqual(first)
    await store.sessions.insert(saml('h-n2', ORG, 'ada@example.com', '_idx2'))
    await store.sessions.insert(saml('h-n3', ORG, 'ada@example.com', null))
    await store.sessions.insert(saml('h-n4', OTHER, 'ada@example.com', '_idx1'))
    await store.sessions.insert(saml('h-n5', ORG, 'grace@example.com', '_idx1'))
    await store.sessions.insert(saml('h-n6', ORG, 'ADA@example.com', '_idx1'))
    await store.sessions.insert(saml('h-n7', ORG, 'ada@example.com', '_idx1', 'admin'))
    // Only the named SessionIndexes of this NameID, user sessions, this org.
    expect(await twin.sessions.removeForNameId(ORG, 'ada@example.com', ['_idx1', '_none'])).toEqual([
      'acc-of-h-n1',
    ])
    expect(await store.sessions.byHash('h-n2')).not.toBeNull()
    expect(await twin.sessions.removeForNameId(ORG, 'ada@example.com', [])).toEqual([])
    // Without SessionIndexes every session of the NameID in the org ends.
    expect((await store.sessions.removeForNameId(ORG, 'ada@example.com', null)).sort()).toEqual([
      'acc-of-h-n2',
      'acc-of-h-n3',
    ])
    for (const kept of ['h-n4', 'h-n5', 'h-n6', 'h-n7'])
      expect(await store.sessions.byHash(kept)).not.toBeNull()
  })

  test('a session issued for a SAML subject verifies with it', async () => {
    const subject = { nameId: 'ada@example.com', nameIdFormat: null, sessionIndex: '_s1' }
    const issued = await issueSession(
      store,
      { orgId: ORG, kind: 'user', subjectId: 'acc-10', saml: subject },
      NOW,
    )
    expect((await verifySession(twin, issued.token, ORG, 'user', NOW + 1))?.saml).toEqual(subject)
  })
})
