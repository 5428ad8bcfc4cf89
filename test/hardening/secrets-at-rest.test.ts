/**
 * SP private keys at rest (issue 9, "Operator controls and secrets"): with SECRET_KEY they are sealed
 * with AES-256-GCM under an HKDF-SHA256 key, bound to their row, and the store is marked encrypted;
 * a start without the key, or with another one, is refused with one line and exit 2; a first start
 * with a key seals the clear keys of an older store once. Real crypto, real store files, real
 * xmlsec1-encrypted assertions through the real app.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { createDecipheriv, createPrivateKey, hkdfSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CliIo } from '../../src/cli/output.ts'
import { setUpIntegration } from '../../src/integration/service.ts'
import { main } from '../../src/main.ts'
import { createOrg } from '../../src/orgs/service.ts'
import { generateSpKeys } from '../../src/saml/sp-keys.ts'
import { createSecretBox, SecretKeyError } from '../../src/secrets/secret-box.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { idpKey, seedSamlOrg } from '../saml/fixture.ts'
import { createTestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'

const KEY = 'bG9uZy1yYW5kb20tdGVzdC1rZXktbm90LWEtcmVhbC1vbmUtMzI='
const OTHER_KEY = 'YW5vdGhlci1yYW5kb20tdGVzdC1rZXktdGhhdC1kaWZmZXJzIQ=='
const ORG_A = { purpose: 'integrations.sp_private_key', orgId: 'org-a' }
const ORG_B = { purpose: 'integrations.sp_private_key', orgId: 'org-b' }

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'okb-secrets-'))
  dirs.push(dir)
  return dir
}

/** A file store with one org whose integration has SP keys (generated through the real service). */
async function storeWithSpKeys(path: string, key: string | null, slugs = ['acme']): Promise<Store> {
  const store = openStore(path, undefined, key ? createSecretBox(key) : null)
  await store.secrets.unlock()
  for (const slug of slugs) {
    const org = await createOrg(store, { slug })
    await setUpIntegration(
      store,
      org,
      { ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: selfSigned().certificate },
      'test',
    )
    await generateSpKeys(store, org, 'test')
  }
  return store
}

const storedKey = async (store: Store, slug: string) => {
  const org = await store.orgs.bySlug(slug)
  return store.integrations.get(org?.id as string)
}

describe('the secret box (AES-256-GCM, HKDF-SHA256)', () => {
  const box = createSecretBox(KEY)

  test('seals to enc:v1:<base64 nonce|ciphertext|tag> and opens again; every seal has a fresh nonce', () => {
    const sealed = box.seal('-----BEGIN PRIVATE KEY-----\nabc\n', ORG_A)
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9+/]+=*$/)
    expect(sealed).not.toContain('PRIVATE KEY')
    expect(box.open(sealed, ORG_A)).toBe('-----BEGIN PRIVATE KEY-----\nabc\n')
    expect(box.seal('same', ORG_A)).not.toBe(box.seal('same', ORG_A))
  })

  test('is standard AES-256-GCM under HKDF-SHA256(SECRET_KEY): node:crypto alone decrypts it', () => {
    const sealed = box.seal('interoperable', ORG_A)
    const bytes = Buffer.from(sealed.slice('enc:v1:'.length), 'base64')
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(KEY), 'okta-bridge secrets', 'aes-256-gcm v1', 32))
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
    decipher.setAAD(Buffer.from('okta-bridge:v1:integrations.sp_private_key:org-a'))
    decipher.setAuthTag(bytes.subarray(bytes.length - 16))
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()])
    expect(plain.toString()).toBe('interoperable')
  })

  test('a ciphertext moved to another org, another purpose, another key or changed by one bit does not open', () => {
    const sealed = box.seal('secret', ORG_A)
    expect(() => box.open(sealed, ORG_B)).toThrow(SecretKeyError)
    expect(() => box.open(sealed, { purpose: 'other', orgId: 'org-a' })).toThrow(SecretKeyError)
    expect(() => createSecretBox(OTHER_KEY).open(sealed, ORG_A)).toThrow(SecretKeyError)
    const bytes = Buffer.from(sealed.slice(7), 'base64')
    bytes[20] = (bytes[20] as number) ^ 1
    expect(() => box.open(`enc:v1:${bytes.toString('base64')}`, ORG_A)).toThrow(SecretKeyError)
    expect(() => box.open('enc:v2:AAAA', ORG_A)).toThrow(SecretKeyError)
  })

  test('the key check is stable for a key and differs between keys; short keys are refused', () => {
    expect(createSecretBox(KEY).keyCheck()).toBe(box.keyCheck())
    expect(createSecretBox(OTHER_KEY).keyCheck()).not.toBe(box.keyCheck())
    expect(box.keyCheck()).not.toContain(KEY)
    expect(() => createSecretBox('too-short')).toThrow(SecretKeyError)
  })
})

describe('SP private keys in the store', () => {
  test('with SECRET_KEY the column holds a sealed value, no PEM, and the ACS still decrypts assertions', async () => {
    const app = createTestApp({ trustProxy: { hops: 1 }, secretKey: KEY })
    const org = await seedSamlOrg(app)
    const generated = await app.request('/api/v1/orgs/acme/okta/sp-keys', {
      method: 'POST',
      headers: org.auth,
    })
    expect(generated.status).toBe(200)
    const certificate = ((await generated.json()) as { certificate: string }).certificate
    const row = await app.store.integrations.get(org.orgId)
    expect(row?.sp_private_key).toStartWith('enc:v1:')
    expect(row?.sp_private_key).not.toContain('PRIVATE KEY')
    const pem = (await app.store.integrations.spPrivateKey(row as NonNullable<typeof row>)) as string
    expect(createPrivateKey(pem).asymmetricKeyType).toBe('rsa')

    for (const content of ['aes256-gcm', 'aes256-cbc'] as const) {
      const xml = signResponse(
        oktaResponse({ orgUrl: org.orgUrl, email: org.email }),
        idpKey(),
        'both',
        'sha256',
        {
          certificate,
          content,
        },
      )
      const response = await postAcs(app, org.orgUrl, xml)
      expect(response.status).toBe(303)
    }
  })

  test("a sealed key copied into another org's row does not open there (the row is in the additional data)", async () => {
    const store = await storeWithSpKeys(':memory:', KEY, ['acme', 'globex'])
    const acme = await storedKey(store, 'acme')
    const globex = await storedKey(store, 'globex')
    expect(acme && globex).toBeTruthy()
    const moved = { org_id: globex?.org_id as string, sp_private_key: acme?.sp_private_key as string }
    await expect(store.integrations.spPrivateKey(moved)).rejects.toThrow(SecretKeyError)
    expect(await store.integrations.spPrivateKey(globex as NonNullable<typeof globex>)).toContain(
      'PRIVATE KEY',
    )
    await store.close()
  })

  test('nothing readable reaches the database file or its WAL', async () => {
    const path = join(tempDir(), 'okta-bridge.sqlite')
    const store = await storeWithSpKeys(path, KEY)
    const onDisk = [path, `${path}-wal`].map((file) => readFileSync(file).toString('latin1')).join('')
    await store.close()
    expect(onDisk).toContain('enc:v1:')
    expect(onDisk).not.toContain('PRIVATE KEY')
  })
})

describe('start-up key check', () => {
  test('a first start with a key seals the clear keys of an older store once, in one go, and marks the store', async () => {
    const path = join(tempDir(), 'okta-bridge.sqlite')
    const clear = await storeWithSpKeys(path, null, ['acme', 'globex'])
    expect((await storedKey(clear, 'acme'))?.sp_private_key).toContain('PRIVATE KEY')
    const pem = (await storedKey(clear, 'acme'))?.sp_private_key
    expect(await clear.secrets.encrypted()).toBe(false)
    await clear.close()

    const keyed = openStore(path, undefined, createSecretBox(KEY))
    expect(await keyed.secrets.unlock()).toEqual({ encrypted: true, sealed: 2 })
    expect(await keyed.secrets.encrypted()).toBe(true)
    const row = await storedKey(keyed, 'acme')
    expect(row?.sp_private_key).toStartWith('enc:v1:')
    expect(await keyed.integrations.spPrivateKey(row as NonNullable<typeof row>)).toBe(pem as string)
    expect(await keyed.secrets.unlock()).toEqual({ encrypted: true, sealed: 0 })
    await keyed.close()
  })

  test('an encrypted store refuses to unlock without its key or with another one', async () => {
    const path = join(tempDir(), 'okta-bridge.sqlite')
    await (await storeWithSpKeys(path, KEY)).close()
    const without = openStore(path)
    await expect(without.secrets.unlock()).rejects.toThrow(
      'the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE',
    )
    // A process without the key must not write a clear key into it either.
    const org = await without.orgs.bySlug('acme')
    await expect(
      without.integrations.setSpKeys(org?.id as string, 'clear', 'cert', Date.now()),
    ).rejects.toThrow(SecretKeyError)
    await without.close()
    const wrong = openStore(path, undefined, createSecretBox(OTHER_KEY))
    await expect(wrong.secrets.unlock()).rejects.toThrow(
      'SECRET_KEY is not the key this store was encrypted with',
    )
    await wrong.close()
  })

  const run = async (dataDir: string, env: Record<string, string>) => {
    const out: string[] = []
    const err: string[] = []
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '' }
    const code = await main(['serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1'], env, io)
    return { code, out, err }
  }

  test('serve refuses an encrypted store without the key, or with a wrong SECRET_KEY_FILE: one line, exit 2', async () => {
    const dataDir = tempDir()
    await (await storeWithSpKeys(join(dataDir, 'okta-bridge.sqlite'), KEY)).close()
    const without = await run(dataDir, {})
    expect(without.code).toBe(2)
    expect(without.err).toEqual([
      'okta-bridge: cannot start: the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to the key it was encrypted with',
    ])
    const keyFile = join(dataDir, 'secret.key')
    writeFileSync(keyFile, `${OTHER_KEY}\n`)
    const wrong = await run(dataDir, { SECRET_KEY_FILE: keyFile })
    expect(wrong.code).toBe(2)
    expect(wrong.err).toEqual([
      'okta-bridge: cannot start: SECRET_KEY is not the key this store was encrypted with',
    ])
  })

  test('bad key settings are config errors that never print the key', async () => {
    const dataDir = tempDir()
    const short = await run(dataDir, { SECRET_KEY: 'short-secret-value' })
    expect(short.code).toBe(2)
    expect(short.err.join('\n')).toContain('SECRET_KEY (--secret-key)')
    expect(short.err.join('\n')).toContain('openssl rand -base64 32')
    expect(short.err.join('\n')).not.toContain('short-secret-value')
    const both = await run(dataDir, { SECRET_KEY: KEY, SECRET_KEY_FILE: join(dataDir, 'k') })
    expect(both.err).toEqual([
      'okta-bridge: invalid setting SECRET_KEY_FILE (--secret-key-file): set SECRET_KEY or SECRET_KEY_FILE, not both',
    ])
    const missing = await run(dataDir, { SECRET_KEY_FILE: join(dataDir, 'missing.key') })
    expect(missing.code).toBe(2)
    expect(missing.err.join('\n')).toContain('cannot read')
  })
})
