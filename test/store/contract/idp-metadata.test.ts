/**
 * The IdP metadata contract, on both engines: a good fetch creates or replaces the row and clears
 * the error; a failure keeps the good values and sets the error and the next try; `due` lists rows
 * with a URL whose refresh is due, most overdue first; an expiry notice is taken once (of two
 * instances noting it at once, one wins); the certificates page walks every integration by org id;
 * the rows go with their integration.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { setUpIntegration } from '../../../src/integration/service.ts'
import { createOrg, type Org } from '../../../src/orgs/service.ts'
import type { Store } from '../../../src/store/index.ts'
import { selfSigned } from '../../support/certs.ts'
import { eachEngine } from './engines.ts'

const NOW = 1_700_000_000_000

eachEngine((engine) => {
  let store: Store
  let twin: Store
  let orgs: Org[]
  beforeAll(async () => {
    store = await engine.open()
    twin = await engine.openTwin(store)
    orgs = []
    for (const slug of ['acme', 'globex', 'initech']) {
      const org = await createOrg(store, { slug })
      await setUpIntegration(
        store,
        org,
        {
          ssoUrl: 'https://idp.example/sso',
          issuer: `http://idp/${slug}`,
          certificate: selfSigned().certificate,
        },
        'test',
      )
      orgs.push(org)
    }
  }, 30_000)
  afterAll(async () => {
    await twin.close()
    await store.close()
  })

  const success = (orgId: string, at: number, url: string | null = 'https://idp.example/metadata') => ({
    org_id: orgId,
    url,
    entity_id: 'http://idp.example',
    slo_url: 'https://idp.example/slo',
    slo_binding: 'HTTP-Redirect',
    fetched_at: at,
    next_refresh_at: url ? at + 3600_000 : null,
  })

  test('success creates and replaces, failure keeps the good values, due lists what is due', async () => {
    const [acme, globex, initech] = orgs as [Org, Org, Org]
    expect(await store.idpMetadata.get(acme.id)).toBeNull()
    await store.idpMetadata.recordSuccess(success(acme.id, NOW))
    await store.idpMetadata.recordSuccess(success(globex.id, NOW - 1000))
    await store.idpMetadata.recordSuccess(success(initech.id, NOW - 5000, null))
    expect(await store.idpMetadata.get(acme.id)).toEqual({
      ...success(acme.id, NOW),
      error: null,
      error_at: null,
      created_at: NOW,
      updated_at: NOW,
    })
    await store.idpMetadata.recordFailure(
      acme.id,
      'the metadata URL answered HTTP 500',
      NOW + 10,
      NOW + 900_000,
    )
    expect(await store.idpMetadata.get(acme.id)).toMatchObject({
      entity_id: 'http://idp.example',
      fetched_at: NOW,
      error: 'the metadata URL answered HTTP 500',
      error_at: NOW + 10,
      next_refresh_at: NOW + 900_000,
    })
    expect((await store.idpMetadata.due(NOW + 1000_000, 10)).map((row) => row.org_id)).toEqual([acme.id])
    // Most overdue first; initech (pasted XML, no URL) is never due.
    expect((await store.idpMetadata.due(NOW + 3600_000 * 2, 10)).map((row) => row.org_id)).toEqual([
      acme.id,
      globex.id,
    ])
    expect(await store.idpMetadata.due(NOW + 3600_000 * 2, 1)).toHaveLength(1)

    await store.idpMetadata.recordSuccess(success(acme.id, NOW + 20))
    expect(await store.idpMetadata.get(acme.id)).toMatchObject({
      error: null,
      error_at: null,
      created_at: NOW,
    })
  })

  test('an expiry notice is taken once, also by two instances at once', async () => {
    const [acme] = orgs as [Org]
    const [a, b] = await Promise.all([
      store.transaction((tx) => tx.idpMetadata.noteExpiry(acme.id, 'AB:CD', 7, NOW)),
      twin.transaction((tx) => tx.idpMetadata.noteExpiry(acme.id, 'AB:CD', 7, NOW)),
    ])
    expect([a, b].filter(Boolean)).toHaveLength(1)
    expect(await store.idpMetadata.noteExpiry(acme.id, 'AB:CD', 7, NOW)).toBe(false)
    expect(await store.idpMetadata.noteExpiry(acme.id, 'AB:CD', 1, NOW)).toBe(true)
    expect(await store.idpMetadata.noteExpiry(acme.id, 'EF:01', 7, NOW)).toBe(true)
  })

  test('integration certificates come in pages by org id, with the slug', async () => {
    const ids = orgs.map((org) => org.id).sort()
    const first = await store.idpMetadata.integrationCertificates('', 2)
    expect(first.map((row) => row.org_id)).toEqual(ids.slice(0, 2))
    const rest = await store.idpMetadata.integrationCertificates(first.at(-1)?.org_id ?? '', 2)
    expect(rest.map((row) => row.org_id)).toEqual(ids.slice(2))
    const acme = [...first, ...rest].find((row) => row.slug === 'acme')
    expect(acme?.certificate).toContain('BEGIN CERTIFICATE')
    expect(acme?.next_certificate).toBeNull()
  })

  test('the rows go with the integration; remove forgets the metadata', async () => {
    const [acme, globex] = orgs as [Org, Org]
    await store.integrations.remove(acme.id)
    expect(await store.idpMetadata.get(acme.id)).toBeNull()
    // The notice went too: the same threshold can be announced for a new integration.
    await setUpIntegration(
      store,
      acme,
      { ssoUrl: 'https://idp.example/sso', issuer: 'http://idp/acme', certificate: selfSigned().certificate },
      'test',
    )
    expect(await store.idpMetadata.noteExpiry(acme.id, 'AB:CD', 7, NOW)).toBe(true)
    await store.idpMetadata.remove(globex.id)
    expect(await store.idpMetadata.get(globex.id)).toBeNull()
  })
})
