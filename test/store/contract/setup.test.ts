/**
 * The setup contract, on both engines: set-up codes are found only while live, taken once (of two
 * instances taking one code at once, one wins), purged when expired and cleared at the end of
 * first run; the org count stops at two; setup links are found by hash, listed newest first per
 * org, revoked once, touched; the progress read says what happened (integration saved, first SCIM
 * request, a provisioned account, the first successful sign-in or the last failure's reason).
 */
import { expect, test } from 'bun:test'
import { createOrg, validateOrgInput } from '../../../src/orgs/service.ts'
import { issueSetupCode } from '../../../src/setup/code.ts'
import { completeFirstRun, firstRunThrottle } from '../../../src/setup/first-run.ts'
import { newId } from '../../../src/store/ids.ts'
import type { Store } from '../../../src/store/index.ts'
import { eachEngine, openStores } from './engines.ts'

const NOW = 1_700_000_000_000

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
  })

  test('codes: live until taken or expired; one taker wins; cleared and purged', async () => {
    expect(await store.setup.orgCountUpTo2()).toBe(0)
    await store.setup.insertCode({ code_hash: 'h1', created_at: NOW, expires_at: NOW + 1000 })
    await store.setup.insertCode({ code_hash: 'h2', created_at: NOW, expires_at: NOW + 10 })
    expect(await store.setup.findCode('h1', NOW)).toMatchObject({ code_hash: 'h1', expires_at: NOW + 1000 })
    expect(await store.setup.findCode('h2', NOW + 10)).toBeNull()
    expect(await store.setup.takeCode('h2', NOW + 10)).toBe(false)
    const [a, b] = await Promise.all([
      store.transaction((tx) => tx.setup.takeCode('h1', NOW)),
      twin.transaction((tx) => tx.setup.takeCode('h1', NOW)),
    ])
    expect([a, b].filter(Boolean)).toHaveLength(1)
    expect(await store.setup.findCode('h1', NOW)).toBeNull()
    expect(await store.setup.purgeExpiredCodes(NOW + 10)).toBe(1)
    await store.setup.insertCode({ code_hash: 'h3', created_at: NOW, expires_at: NOW + 1000 })
    await store.setup.clearCodes()
    expect(await store.setup.findCode('h3', NOW)).toBeNull()
  })

  test('two instances, each with its own set-up code, finishing first run at once make one org', async () => {
    for (let round = 0; round < 2; round++) {
      const a = await engine.open()
      const b = await engine.openTwin(a)
      try {
        const [codeA, codeB] = [await issueSetupCode(a), await issueSetupCode(b)]
        if (!codeA || !codeB) throw new Error('no set-up code on an empty store')
        const run = (store: Store, code: string, slug: string) =>
          completeFirstRun(
            store,
            firstRunThrottle(store),
            { setupCode: code, slug, email: `admin@${slug}.example`, password: 'a long enough password 1' },
            `198.51.100.${slug.length}`,
          ).then(
            () => 'created',
            (error: { code?: string }) => error.code ?? String(error),
          )
        const outcomes = await Promise.all([run(a, codeA.code, 'first'), run(b, codeB.code, 'second-org')])
        expect(outcomes.sort()).toEqual(['ALREADY_SET_UP', 'created'])
        expect(await a.setup.orgCountUpTo2()).toBe(1)
        expect(await a.setup.findCode('any', 0)).toBeNull()
      } finally {
        await b.close()
        await a.close()
      }
    }
  }, 60_000)

  // SQLite serialises whole transactions in the engine: there is no rival to hold off.
  test.if(engine.name === 'postgres')(
    'first-run lock: a rival counts orgs only after the holder commits',
    async () => {
      const a = await engine.open()
      const b = await engine.openTwin(a)
      try {
        let release = () => {}
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        let holding = () => {}
        const held = new Promise<void>((resolve) => {
          holding = resolve
        })
        const holder = a.transaction(async (tx) => {
          await tx.setup.lockFirstRun()
          holding()
          await gate
          await tx.orgs.insert({
            id: newId(),
            ...validateOrgInput({ slug: 'held' }),
            settings: '{}',
            created_at: NOW,
          })
        })
        await held
        let rivalCount: number | null = null
        const rival = b.transaction(async (tx) => {
          await tx.setup.lockFirstRun()
          rivalCount = await tx.setup.orgCountUpTo2()
        })
        await Bun.sleep(300) // room for the rival to run ahead, were it not held off
        const countedWhileHeld: number | null = rivalCount
        release()
        await Promise.all([holder, rival])
        expect(countedWhileHeld).toBeNull()
        expect(rivalCount as number | null).toBe(1)
      } finally {
        await b.close()
        await a.close()
      }
    },
  )

  test('links: by hash, newest first per org, revoked once, touched; progress of the org', async () => {
    const acme = await createOrg(store, { slug: 'acme' })
    const globex = await createOrg(store, { slug: 'globex' })
    await createOrg(store, { slug: 'initech' })
    expect(await store.setup.orgCountUpTo2()).toBe(2)
    const link = (id: string, orgId: string, hash: string, at: number) => ({
      id,
      org_id: orgId,
      idp: 'okta',
      token_hash: hash,
      created_by: 'cli',
      created_at: at,
      expires_at: at + 3600_000,
    })
    await store.setup.insertLink(link('l1', acme.id, 't1', NOW))
    await store.setup.insertLink(link('l2', acme.id, 't2', NOW + 1))
    await store.setup.insertLink(link('l3', globex.id, 't3', NOW))
    expect(await store.setup.linkByTokenHash('t2')).toMatchObject({
      id: 'l2',
      org_id: acme.id,
      revoked_at: null,
    })
    expect(await store.setup.linkByTokenHash('nope')).toBeNull()
    expect((await store.setup.listLinks(acme.id, 10)).map((r) => r.id)).toEqual(['l2', 'l1'])
    expect(await store.setup.linkById(globex.id, 'l1')).toBeNull()
    expect(await store.setup.revokeLink(globex.id, 'l1', NOW)).toBe(false)
    expect(await store.setup.revokeLink(acme.id, 'l1', NOW + 5)).toBe(true)
    expect(await store.setup.revokeLink(acme.id, 'l1', NOW + 6)).toBe(false)
    expect((await store.setup.linkById(acme.id, 'l1'))?.revoked_at).toBe(NOW + 5)
    await store.setup.touchLink('l2', NOW + 7)
    expect((await store.setup.linkById(acme.id, 'l2'))?.last_used_at).toBe(NOW + 7)

    expect(await store.setup.progress(acme.id)).toEqual({
      configured: 0,
      first_scim_request_at: null,
      provisioned: 0,
      signed_in: 0,
      last_failure: null,
    })
    await store.integrations.insert({
      org_id: acme.id,
      sso_url: 'https://idp.example/sso',
      issuer: 'idp',
      certificate: 'pem',
      next_certificate: null,
      scim_token_hash: `hash-${acme.id}`,
      settings: '{}',
      sp_private_key: null,
      sp_certificate: null,
      created_at: NOW,
      updated_at: NOW,
    })
    await store.integrations.markFirstScimRequest(acme.id, NOW + 1)
    await store.integrations.markFirstScimRequest(acme.id, NOW + 2)
    expect((await store.integrations.get(acme.id))?.first_scim_request_at).toBe(NOW + 1)
    await store.audit.record({
      orgId: acme.id,
      kind: 'saml',
      action: 'sign_in',
      outcome: 'failure',
      reason: 'bad_signature',
    })
    expect(await store.setup.progress(acme.id)).toMatchObject({
      configured: 1,
      first_scim_request_at: NOW + 1,
      signed_in: 0,
      last_failure: 'bad_signature',
    })
    await store.accounts.insert({
      id: newId(),
      org_id: acme.id,
      email: 'ada@acme.example',
      email_lower: 'ada@acme.example',
      name: 'Ada',
      source: 'okta',
      active: 1,
      role: 'member',
      scim_user_id: 'scim-1',
      created_via_integration: 1,
      last_sign_in_at: null,
      created_at: NOW,
      updated_at: NOW,
    })
    await store.audit.record({ orgId: acme.id, kind: 'saml', action: 'sign_in', outcome: 'success' })
    expect(await store.setup.progress(acme.id)).toEqual({
      configured: 1,
      first_scim_request_at: NOW + 1,
      provisioned: 1,
      signed_in: 1,
      last_failure: null,
    })
    // Another org's progress is its own.
    expect((await store.setup.progress(globex.id)).configured).toBe(0)
  })
})
