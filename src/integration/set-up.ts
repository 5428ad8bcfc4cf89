/**
 * `PUT …/okta` takes one of three ways to describe the IdP: the three values Okta shows
 * (`ssoUrl`, `issuer`, `certificate`), the IdP's metadata URL (`metadataUrl`), or its metadata XML
 * (`metadataXml`). This picks the way the request used and refuses a mix, naming the field.
 */
import { invalid } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'
import { type MetadataDeps, setUpFromMetadata } from './metadata.ts'
import { setUpIntegration } from './service.ts'
import type { IntegrationSettings } from './settings.ts'

export interface SetUpRequest {
  ssoUrl?: string
  issuer?: string
  certificate?: string
  nextCertificate?: string | null
  metadataUrl?: string
  metadataXml?: string
  settings?: Partial<IntegrationSettings>
}

const given = (value: string | null | undefined) => value != null && value.trim() !== ''

export function configureIntegration(
  store: Store,
  org: Org,
  input: SetUpRequest,
  deps: MetadataDeps,
  actor: string,
  now = Date.now(),
): Promise<{ scimToken: string | null }> {
  const manual = (['ssoUrl', 'issuer', 'certificate'] as const).filter((name) => input[name] !== undefined)
  const byMetadata = (['metadataUrl', 'metadataXml'] as const).filter((name) => given(input[name]))
  if (byMetadata.length > 1) throw invalid('metadataXml', 'give metadataUrl or metadataXml, not both')
  const [metadataField] = byMetadata
  if (metadataField) {
    const mixed = [...manual, ...(input.nextCertificate !== undefined ? ['nextCertificate'] : [])]
    if (mixed.length > 0) {
      throw invalid(
        mixed[0] as string,
        `${mixed.join(', ')} cannot be given with ${metadataField}: the metadata sets the SSO URL, issuer and certificates`,
      )
    }
    return setUpFromMetadata(store, org, input, deps, actor, now)
  }
  for (const name of ['ssoUrl', 'issuer', 'certificate'] as const) {
    if (input[name] === undefined)
      throw invalid(name, `${name} is required (or set the integration up with metadataUrl or metadataXml)`)
  }
  return setUpIntegration(
    store,
    org,
    {
      ssoUrl: input.ssoUrl as string,
      issuer: input.issuer as string,
      certificate: input.certificate as string,
      nextCertificate: input.nextCertificate,
      settings: input.settings,
    },
    actor,
    now,
  )
}
