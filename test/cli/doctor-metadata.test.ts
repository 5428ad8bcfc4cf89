/**
 * `okta-bridge doctor` on an org set up from its IdP's metadata URL: a check `idp-metadata:SLUG` that
 * holds while the refreshes work and, once one fails, says which URL, why, that sign-in goes on with
 * the last good values, and how to refresh again. The real store and metadata service, a local
 * metadata server; `diagnose` as the CLI calls it.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diagnose } from '../../src/cli/doctor.ts'
import { parseFlags } from '../../src/config/index.ts'
import { refreshMetadataNow, setUpFromMetadata } from '../../src/integration/metadata.ts'
import { createOrg, toOrg } from '../../src/orgs/service.ts'
import { openStore } from '../../src/store/index.ts'
import { idpKey } from '../saml/fixture.ts'
import { idpMetadataXml, metadataServer } from '../support/idp-metadata.ts'

const dir = mkdtempSync(join(tmpdir(), 'okb-doctor-metadata-'))
const idp = metadataServer()
afterAll(() => {
  idp.stop()
  rmSync(dir, { recursive: true, force: true })
})

const deps = { policy: { allowPrivate: true }, refreshIntervalMs: 3600_000 }

async function metadataCheck() {
  const checks = await diagnose(parseFlags(['--data-dir', dir, '--port', '1']).flags, {})
  return checks.find((check) => check.name === 'idp-metadata:acme')
}

test('the doctor names a failing metadata refresh, and holds while refreshes work', async () => {
  const store = await openStore(join(dir, 'okta-bridge.sqlite'))
  try {
    const org = await createOrg(store, { slug: 'acme' })
    idp.serve(idpMetadataXml({ certificates: [idpKey().certificate] }))
    await setUpFromMetadata(store, org, { metadataUrl: idp.url() }, deps, 'test')
  } finally {
    await store.close()
  }
  expect(await metadataCheck()).toMatchObject({ ok: true })
  expect((await metadataCheck())?.detail).toContain(idp.url())

  idp.answer(() => new Response('gone', { status: 503 }))
  const again = await openStore(join(dir, 'okta-bridge.sqlite'))
  try {
    const org = await again.orgs.bySlug('acme')
    if (!org) throw new Error('no org')
    await refreshMetadataNow(again, toOrg(org), deps).catch(() => undefined)
  } finally {
    await again.close()
  }
  const failing = await metadataCheck()
  expect(failing?.ok).toBe(false)
  expect(failing?.detail).toContain(idp.url())
  expect(failing?.detail).toContain('503')
  expect(failing?.detail).toContain('sign-in goes on with the values read at')
  expect(failing?.detail).toContain('POST /api/v1/orgs/acme/okta/metadata/refresh')
})
