/**
 * `okta-bridge doctor`: what an operator checks when something is off, each with what to fix.
 * The configuration (the same settings `serve` would read), the store (opened and asked, either
 * engine), whether PUBLIC_URL and every own origin reach a server from this machine, the expiry of
 * the TLS certificate and of every org's IdP and SP certificates, and the clock against the IdP's:
 * the `issueInstant` kept in the audit row of each sign-in (src/saml/service.ts) next to the
 * moment it arrived; for an org set up from a metadata URL, whether its last refresh worked. `--json` prints `{"checks":[{"name","ok","detail"}]}`; the exit code is 0
 * when every check holds, 1 otherwise.
 */
import { X509Certificate } from 'node:crypto'
import { type Static, Type as T } from '@sinclair/typebox'
import { type Config, ConfigError, loadConfig } from '../config/index.ts'
import { readTlsPair } from '../config/tls.ts'
import type { IdpMetadataRow } from '../store/idp-metadata.ts'
import { describeLocation, openStoreAt, type Store, storeLocation } from '../store/index.ts'
import type { Flags } from './flags.ts'
import { type CliIo, EXIT } from './output.ts'

export const DoctorCheck = T.Object({
  name: T.String({ description: 'configuration, store, public-url, org-url:SLUG, tls-certificate, …' }),
  ok: T.Boolean(),
  detail: T.String({ description: 'What was found, and what to fix when not ok' }),
})
export const DoctorReport = T.Object({ checks: T.Array(DoctorCheck) })
export type DoctorCheck = Static<typeof DoctorCheck>

const DAY = 86_400_000
/** A certificate expiring sooner than this fails: time enough to renew and roll it over. */
const EXPIRY_MARGIN_DAYS = 14
/** Beyond this offset from the IdP's clock, sign-ins come near the org's allowed skew (60 s). */
const SKEW_LIMIT_SECONDS = 30
/** Sign-ins looked at per org for the clock check. */
const SIGN_INS = 50
const REACH_TIMEOUT_MS = 5000

export async function runDoctor(
  flags: Flags,
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  const checks = await diagnose(flags, env)
  if (flags.has('json')) io.out(JSON.stringify({ checks } satisfies Static<typeof DoctorReport>))
  else {
    for (const check of checks) io.out(`${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`)
    const failed = checks.filter((c) => !c.ok).length
    io.out(failed === 0 ? 'All checks hold.' : `${failed} of ${checks.length} checks need attention.`)
  }
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.refused
}

export async function diagnose(
  flags: Flags,
  env: Record<string, string | undefined>,
): Promise<DoctorCheck[]> {
  let config: Config
  try {
    config = loadConfig(flags, env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return [
      { name: 'configuration', ok: false, detail: `${error.message}; fix the setting and run doctor again` },
    ]
  }
  const checks: DoctorCheck[] = [configurationCheck(config)]
  const location = storeLocation(config.databaseUrl)
  let store: Store | null = null
  try {
    store = await openStoreAt(location, { poolSize: 2 })
    if (!(await store.ping())) throw new Error('it does not answer')
    const orgs = await store.orgs.all()
    checks.push({
      name: 'store',
      ok: true,
      detail: `${location.kind} ${describeLocation(location)} answers, schema current, ${orgs.length} organization(s)`,
    })
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    checks.push({
      name: 'store',
      ok: false,
      detail: `${location.kind} ${describeLocation(location)}: ${reason}; check DATABASE_URL (or --data-dir), that the database is up and this user may read and write it`,
    })
    await store?.close().catch(() => {})
    store = null
  }
  const ownOrigins = store ? (await store.orgs.all()).filter((o) => o.url) : []
  checks.push(await reachable('public-url', config.publicUrl, 'PUBLIC_URL'))
  for (const org of ownOrigins.slice(0, 20)) {
    checks.push(await reachable(`org-url:${org.slug}`, org.url as string, `the org URL of ${org.slug}`))
  }
  if (config.tlsCertFile && config.tlsKeyFile) {
    const pair = readTlsPair({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile })
    checks.push(
      expiryCheck(
        'tls-certificate',
        [{ what: `TLS certificate ${pair.subject}`, notAfter: pair.notAfter }],
        'renew it, replace the files of --tls-cert/--tls-key and send the server SIGHUP',
      ),
    )
  }
  if (store) {
    try {
      checks.push(...(await orgChecks(store)))
    } finally {
      await store.close()
    }
  }
  return checks
}

function configurationCheck(config: Config): DoctorCheck {
  const url = new URL(config.publicUrl)
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  const tls = config.tlsCertFile ? `HTTPS with ${config.tlsCertFile}` : 'plain HTTP (TLS by a proxy, if any)'
  if (url.protocol === 'http:' && !local) {
    return {
      name: 'configuration',
      ok: false,
      detail: `PUBLIC_URL ${config.publicUrl} is http on a public name: Okta and browsers send credentials to it in the clear and session cookies are not Secure; serve HTTPS (--tls-cert/--tls-key) or put a TLS proxy in front and set PUBLIC_URL=https://…`,
    }
  }
  const secrets = config.secretKey
    ? 'SP private keys sealed (SECRET_KEY)'
    : 'SP private keys in clear (set SECRET_KEY to seal them)'
  return {
    name: 'configuration',
    ok: true,
    detail: `valid; PUBLIC_URL ${config.publicUrl}, ${tls}, ${secrets}`,
  }
}

/** GET {base}/healthz from this machine, as Okta and browsers would reach it. */
async function reachable(name: string, base: string, what: string): Promise<DoctorCheck> {
  const target = `${base.replace(/\/+$/, '')}/healthz`
  try {
    const response = await fetch(target, {
      redirect: 'manual',
      signal: AbortSignal.timeout(REACH_TIMEOUT_MS),
    })
    const body = (await response.json().catch(() => null)) as { status?: unknown } | null
    if (response.status === 200 && body?.status === 'ok') {
      return { name, ok: true, detail: `${target} answers` }
    }
    return {
      name,
      ok: false,
      detail: `${target} answered ${response.status}, not okta-bridge's health check: does ${what} lead to this server (proxy routes, Host header)?`,
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return {
      name,
      ok: false,
      detail: `${target} is not reachable from here (${reason}): is the server running, does ${what} resolve to it, and is its certificate trusted?`,
    }
  }
}

interface Expiring {
  what: string
  notAfter: Date
}

function expiryCheck(name: string, certificates: Expiring[], fix: string, now = Date.now()): DoctorCheck {
  const problems: string[] = []
  const fine: string[] = []
  for (const { what, notAfter } of certificates) {
    const days = Math.floor((notAfter.getTime() - now) / DAY)
    const until = notAfter.toISOString().slice(0, 10)
    if (days < 0) problems.push(`${what} expired on ${until}`)
    else if (days < EXPIRY_MARGIN_DAYS) problems.push(`${what} expires in ${days} day(s), on ${until}`)
    else fine.push(`${what} valid until ${until}`)
  }
  if (problems.length > 0) return { name, ok: false, detail: `${problems.join('; ')}: ${fix}` }
  return { name, ok: true, detail: fine.join('; ') }
}

function notAfterOf(pem: string): Date | null {
  try {
    return new Date(new X509Certificate(pem).validTo)
  } catch {
    return null
  }
}

/** Per org with an integration: its certificates, and its clock against the IdP's. */
async function orgChecks(store: Store): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = []
  for (const org of await store.orgs.all()) {
    const integration = await store.integrations.get(org.id)
    if (!integration) continue
    const certificates: Expiring[] = []
    for (const [what, pem] of [
      ['IdP certificate', integration.certificate],
      ['next IdP certificate', integration.next_certificate],
      ['SP certificate', integration.sp_certificate],
    ] as const) {
      const notAfter = pem ? notAfterOf(pem) : null
      if (notAfter) certificates.push({ what, notAfter })
    }
    checks.push(
      expiryCheck(
        `certificates:${org.slug}`,
        certificates,
        `paste the IdP's new certificate in Settings → Okta Integration (or PUT /api/v1/orgs/${org.slug}/okta) before the old one ends`,
      ),
    )
    checks.push(await clockCheck(store, org.id, org.slug))
    const metadata = await store.idpMetadata.get(org.id)
    if (metadata?.url) checks.push(metadataCheck(org.slug, metadata))
  }
  return checks
}

/** An org set up from a metadata URL: did the last refresh work? (A failed one keeps the last good values.) */
function metadataCheck(slug: string, row: IdpMetadataRow): DoctorCheck {
  const name = `idp-metadata:${slug}`
  const read = new Date(row.fetched_at).toISOString()
  if (row.error === null)
    return { name, ok: true, detail: `${row.url} read at ${read}; refreshed on schedule` }
  const failedAt = row.error_at ? new Date(row.error_at).toISOString() : 'its last refresh'
  return {
    name,
    ok: false,
    detail: `the refresh of ${row.url} failed at ${failedAt}: ${row.error.slice(0, 300)}; sign-in goes on with the values read at ${read} — fix the URL or the network (or set the integration up again), then POST /api/v1/orgs/${slug}/okta/metadata/refresh`,
  }
}

/**
 * Each sign-in gives `at − IssueInstant` = (our clock − the IdP's) + the time the browser took to
 * bring the assertion, which is never negative; the smallest of them is the best estimate of the
 * offset. Sign-ins refused as not yet valid or expired say the same from the other side.
 */
async function clockCheck(store: Store, orgId: string, slug: string): Promise<DoctorCheck> {
  const name = `clock-skew:${slug}`
  const rows = (await store.audit.list(orgId, { kind: 'saml', limit: SIGN_INS * 2 })).filter(
    (row) => row.action === 'sign_in',
  )
  const offsets: number[] = []
  let timeRefusals = 0
  for (const row of rows.slice(0, SIGN_INS)) {
    // Newest first: only refusals since the last successful sign-in count as a present problem.
    const timeRefusal = row.reason === 'not_yet_valid' || row.reason === 'expired'
    if (row.outcome === 'failure' && timeRefusal && offsets.length === 0) timeRefusals++
    if (row.outcome !== 'success') continue
    const issued = Date.parse(String((JSON.parse(row.data) as { issueInstant?: unknown }).issueInstant))
    if (Number.isFinite(issued)) offsets.push(row.at - issued)
  }
  const fix = 'keep this host on NTP (timedatectl set-ntp true; chronyc tracking shows the offset)'
  if (offsets.length === 0) {
    if (timeRefusals > 0) {
      return {
        name,
        ok: false,
        detail: `${timeRefusals} sign-in(s) refused as not yet valid or expired and none succeeded: ${fix}`,
      }
    }
    return { name, ok: true, detail: 'no sign-in with an IssueInstant recorded yet: nothing to compare' }
  }
  const seconds = Math.round(Math.min(...offsets) / 1000)
  const direction = seconds >= 0 ? `ahead of the IdP's by ${seconds} s` : `behind the IdP's by ${-seconds} s`
  const basis = `from the last ${offsets.length} sign-in(s)`
  if (Math.abs(seconds) > SKEW_LIMIT_SECONDS) {
    return {
      name,
      ok: false,
      detail: `this server's clock is ${direction} (${basis}); beyond ${SKEW_LIMIT_SECONDS} s sign-ins start to fail: ${fix}`,
    }
  }
  const refusals = timeRefusals > 0 ? `; ${timeRefusals} sign-in(s) refused as not yet valid or expired` : ''
  return { name, ok: timeRefusals === 0, detail: `this server's clock is ${direction} (${basis})${refusals}` }
}
