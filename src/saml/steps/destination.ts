/** Step: a Response that names its Destination names this org's ACS URL (Okta always sends one). */
import { SamlRejection } from '../rejection.ts'
import { attribute, type XmlElement } from '../xml.ts'

export function checkDestination(response: XmlElement, acsUrl: string): void {
  const destination = attribute(response, 'Destination')
  if (destination !== null && destination !== acsUrl) {
    throw new SamlRejection(
      'destination_mismatch',
      `Destination "${destination.slice(0, 200)}" is not ${acsUrl}`,
    )
  }
}
