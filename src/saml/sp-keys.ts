/**
 * The org's SP key pair, generated on an admin's request: a 2048-bit RSA key and a self-signed
 * certificate (see `x509.ts`) valid for ten years. The certificate goes into Okta ("Encryption
 * Certificate", and "Signature Certificate" for single logout) and the SP metadata (use="encryption"
 * and use="signing"); the private key stays in the store, decrypts EncryptedAssertions and signs
 * what we send the IdP (AuthnRequests when `signAuthnRequests`, LogoutRequests, LogoutResponses).
 * Generating again replaces both (Okta must get the new certificate). Removing it while
 * AuthnRequests are signed is refused; single logout then falls back to local sign-out.
 */

import { generateKeyPairSync } from 'node:crypto'
import { ServiceError } from '../errors.ts'
import { describeCertificate, parseCertificate } from '../integration/certificate.ts'
import { recordRotation } from '../integration/certificate-events.ts'
import type { CertificateInfo } from '../integration/model.ts'
import { readSettings } from '../integration/settings.ts'
import type { Org } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'
import { selfSignedCertificate } from './x509.ts'

const TEN_YEARS_MS = 10 * 365 * 86_400_000

export interface SpKeyStatus {
  certificate: string | null
  info: CertificateInfo | null
}

function notConfigured(): ServiceError {
  return new ServiceError(404, 'NOT_CONFIGURED', 'the Okta integration is not set up for this organization')
}

export async function spKeyStatus(store: Store, org: Org, now = Date.now()): Promise<SpKeyStatus> {
  const integration = await store.integrations.get(org.id)
  if (!integration) throw notConfigured()
  const pem = integration.sp_certificate
  return {
    certificate: pem,
    info: pem ? describeCertificate(parseCertificate(pem, 'spCertificate'), now) : null,
  }
}

export async function generateSpKeys(
  store: Store,
  org: Org,
  actor: string,
  now = Date.now(),
): Promise<SpKeyStatus> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const certificate = selfSignedCertificate({
    privateKey: privatePem,
    commonName: `okta-bridge SP ${org.slug}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
  })
  await store.transaction(async (tx) => {
    if (!(await tx.integrations.get(org.id))) throw notConfigured()
    await tx.integrations.setSpKeys(org.id, privatePem, certificate, now)
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'sp_keys.generated',
      outcome: 'success',
      actor,
    })
  })
  return spKeyStatus(store, org, now)
}

export async function removeSpKeys(
  store: Store,
  org: Org,
  actor: string,
  now = Date.now(),
): Promise<SpKeyStatus> {
  await store.transaction(async (tx) => {
    const integration = await tx.integrations.get(org.id)
    if (!integration) throw notConfigured()
    if (readSettings(integration.settings).signAuthnRequests) {
      throw new ServiceError(
        409,
        'SP_KEY_IN_USE',
        'AuthnRequests are signed with this key: set signAuthnRequests to false first',
        'signAuthnRequests',
      )
    }
    await tx.saml.clearSpKeys(org.id, now)
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'sp_keys.removed',
      outcome: 'success',
      actor,
    })
  })
  return { certificate: null, info: null }
}

/**
 * Ends a certificate rollover: the next IdP certificate becomes the current one and the old one
 * stops being accepted. Until then responses signed with either are accepted.
 */
export function retireCurrentCertificate(
  store: Store,
  org: Org,
  actor: string,
  now = Date.now(),
): Promise<void> {
  return store.transaction(async (tx) => {
    const integration = await tx.integrations.get(org.id)
    if (!integration) throw notConfigured()
    if (!integration.next_certificate) {
      throw new ServiceError(
        409,
        'NO_NEXT_CERTIFICATE',
        'there is no next certificate to switch to: set nextCertificate first',
        'nextCertificate',
      )
    }
    await tx.integrations.update({
      org_id: org.id,
      sso_url: integration.sso_url,
      issuer: integration.issuer,
      certificate: integration.next_certificate,
      next_certificate: null,
      settings: integration.settings,
      updated_at: now,
    })
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'certificate.retired',
      outcome: 'success',
      actor,
    })
    await recordRotation(tx, org.id, integration.certificate, integration.next_certificate, 'admin', now)
  })
}
