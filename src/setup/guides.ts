/**
 * What each identity provider's screens call things, in one table: the values to type into it
 * (labelled with the IdP's own field names), the labels of our set-up form's three fields as that
 * IdP shows them, where it shows its SAML metadata, whether it provisions over SCIM, and its steps. The console's guides page, the
 * setup-link page and docs/idp/*.md say the same; keep them in step.
 */
import type { Idp } from './model.ts'

/** A value of ours the IT admin types into the IdP. */
export type OurValue = 'acsUrl' | 'audience' | 'scimBaseUrl' | 'loginUrl' | 'spMetadataUrl'

export interface IdpGuide {
  idp: Idp
  name: string
  /** SCIM provisioning: false means just-in-time creation at sign-in must be on. */
  scim: boolean
  /** Our values under the IdP's labels; `fixed` rows are constants to choose in the IdP. */
  values: Array<{ label: string; value: OurValue } | { label: string; fixed: string }>
  /** Where the SCIM token goes in the IdP, when it provisions. */
  tokenLabel: string | null
  /** Our form's fields as the IdP labels what to copy into them. */
  form: { ssoUrl: string; issuer: string; certificate: string }
  /** Where the IdP shows its SAML metadata: a URL (refreshed on a schedule) or a file to paste. */
  metadata: { where: string; url: boolean }
  steps: string[]
}

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'

export const GUIDES: Record<Idp, IdpGuide> = {
  okta: {
    idp: 'okta',
    name: 'Okta',
    scim: true,
    values: [
      { label: 'Single sign-on URL (also Recipient URL and Destination URL)', value: 'acsUrl' },
      { label: 'Audience URI (SP Entity ID)', value: 'audience' },
      { label: 'Name ID format', fixed: 'EmailAddress' },
      { label: 'Application username', fixed: 'Email' },
      { label: 'SCIM connector base URL', value: 'scimBaseUrl' },
      { label: 'Unique identifier field for users', fixed: 'email' },
      { label: 'Authentication Mode', fixed: 'HTTP Header' },
    ],
    tokenLabel: 'Authorization (HTTP Header → Bearer)',
    form: {
      ssoUrl: 'Identity Provider Single Sign-On URL',
      issuer: 'Identity Provider Issuer',
      certificate: 'X.509 Certificate',
    },
    metadata: {
      where: 'Sign On tab → Metadata URL (Copy)',
      url: true,
    },
    steps: [
      'Okta Admin Console: Applications → Applications → Create App Integration → SAML 2.0 → Next; name the app → Next.',
      'Configure SAML: paste the Single sign-on URL (keep "Use this for Recipient URL and Destination URL" ticked) and the Audience URI (SP Entity ID); Name ID format EmailAddress, Application username Email → Next → Finish.',
      'Sign On tab → View SAML setup instructions: copy the Identity Provider Single Sign-On URL, the Identity Provider Issuer and the X.509 Certificate into the form on this page and save.',
      'General tab → App Settings → Edit: Provisioning SCIM → Save.',
      'Provisioning tab → Integration → Edit: SCIM connector base URL, Unique identifier field for users "email", tick Push New Users, Push Profile Updates and Push Groups, Authentication Mode HTTP Header, paste the SCIM token → Test Connector Configuration → Save.',
      'Provisioning → To App → Edit: enable Create Users, Update User Attributes and Deactivate Users. Assign people and groups on Assignments; push groups on Push Groups.',
    ],
  },
  entra: {
    idp: 'entra',
    name: 'Microsoft Entra ID',
    scim: true,
    values: [
      { label: 'Identifier (Entity ID)', value: 'audience' },
      { label: 'Reply URL (Assertion Consumer Service URL)', value: 'acsUrl' },
      { label: 'Sign on URL', value: 'loginUrl' },
      {
        label: 'Unique User Identifier (Name ID)',
        fixed: 'user.mail (Name identifier format: Email address)',
      },
      { label: 'Tenant URL', value: 'scimBaseUrl' },
      { label: 'Provisioning Mode', fixed: 'Automatic' },
    ],
    tokenLabel: 'Secret Token',
    form: {
      ssoUrl: 'Login URL',
      issuer: 'Microsoft Entra Identifier',
      certificate: 'Certificate (Base64)',
    },
    metadata: { where: 'Single sign-on → SAML Certificates → App Federation Metadata Url', url: true },
    steps: [
      'Microsoft Entra admin center: Enterprise applications → New application → Create your own application → "Integrate any other application you don\'t find in the gallery (Non-gallery)" → Create.',
      'Single sign-on → SAML. Basic SAML Configuration → Edit: Identifier (Entity ID), Reply URL (Assertion Consumer Service URL) and Sign on URL from this page → Save.',
      'Attributes & Claims → Edit → Unique User Identifier (Name ID): source attribute user.mail, Name identifier format Email address → Save. (The email is what accounts are matched on.)',
      'SAML Certificates: download Certificate (Base64). Set up the application: copy Login URL and Microsoft Entra Identifier. Paste all three into the form on this page and save.',
      'Provisioning → Get started: Provisioning Mode Automatic; Admin Credentials: Tenant URL from this page, Secret Token = the SCIM token → Test Connection → Save.',
      'Mappings: keep userPrincipalName → userName (or map mail → userName when UPNs are not email addresses), mail → emails[type eq "work"].value, givenName → name.givenName, surname → name.familyName, Switch([IsSoftDeleted], …) → active; groups: displayName → displayName, members → members.',
      'Users and groups: assign who gets access. Provisioning Status On → Save. Entra runs an initial cycle, then an incremental cycle about every 40 minutes; "Provision on demand" pushes one user now.',
    ],
  },
  jumpcloud: {
    idp: 'jumpcloud',
    name: 'JumpCloud',
    scim: true,
    values: [
      { label: 'SP Entity ID', value: 'audience' },
      { label: 'ACS URL', value: 'acsUrl' },
      { label: 'Login URL', value: 'loginUrl' },
      { label: 'SAMLSubject NameID', fixed: 'email' },
      { label: 'SAMLSubject NameID Format', fixed: EMAIL_FORMAT },
      { label: 'Base URL (Identity Management, SCIM 2.0)', value: 'scimBaseUrl' },
    ],
    tokenLabel: 'Token Key',
    form: { ssoUrl: 'IDP URL', issuer: 'IdP Entity ID', certificate: 'IDP Certificate' },
    metadata: { where: 'SSO tab → Export Metadata (a file: paste its text)', url: false },
    steps: [
      'JumpCloud Admin Portal: SSO Applications → Add New Application → Custom Application → Manage Single Sign-On (SSO) with SAML, and Export users to this app (Identity Management) → name it → Save Application → Configure Application.',
      'SSO tab: IdP Entity ID — choose one, e.g. the org URL with "-jumpcloud"; SP Entity ID, ACS URL and Login URL from this page; SAMLSubject NameID email, SAMLSubject NameID Format emailAddress; tick Sign Assertion → Save.',
      'Copy the IDP URL and the IdP Entity ID, and download the IDP Certificate (SSO tab → IDP Certificate Valid → Download certificate). Paste them into the form on this page and save.',
      'Identity Management tab: SCIM Version SCIM 2.0, Base URL from this page, Token Key = the SCIM token, Test User Email = someone in your directory → Test Connection → Activate → Save. Tick "Enable management of User Groups and Group Membership" to push groups.',
      'User Groups tab: bind the groups whose users should get access → Save. JumpCloud provisions them at once and pushes changes as they happen.',
    ],
  },
  google: {
    idp: 'google',
    name: 'Google Workspace',
    scim: false,
    values: [
      { label: 'ACS URL', value: 'acsUrl' },
      { label: 'Entity ID', value: 'audience' },
      { label: 'Start URL', value: 'loginUrl' },
      { label: 'Name ID format', fixed: 'EMAIL' },
      { label: 'Name ID', fixed: 'Basic Information > Primary email' },
    ],
    tokenLabel: null,
    form: { ssoUrl: 'SSO URL', issuer: 'Entity ID', certificate: 'Certificate' },
    metadata: {
      where: 'Google Identity Provider details → Download metadata (a file: paste its text)',
      url: false,
    },
    steps: [
      'Google Admin console: Apps → Web and mobile apps → Add app → Add custom SAML app → App name → Continue.',
      'Google Identity Provider details: copy the SSO URL, the Entity ID and the Certificate into the form on this page (just-in-time creation stays ticked) and save → Continue.',
      'Service provider details: ACS URL, Entity ID and Start URL from this page; Name ID format EMAIL, Name ID Basic Information > Primary email → Continue → Finish.',
      'User access: ON for everyone (or for the organizational units that should sign in) → Save.',
      "Google Workspace has no SCIM provisioning for custom apps: accounts are created at each person's first sign-in (just-in-time creation). Deactivate people in the console's Users page when they leave.",
    ],
  },
  other: {
    idp: 'other',
    name: 'another SAML 2.0 identity provider',
    scim: true,
    values: [
      { label: 'Assertion Consumer Service (ACS) URL', value: 'acsUrl' },
      { label: 'SP Entity ID (Audience)', value: 'audience' },
      { label: 'SP metadata', value: 'spMetadataUrl' },
      { label: 'NameID format', fixed: EMAIL_FORMAT },
      { label: 'SCIM 2.0 base URL', value: 'scimBaseUrl' },
    ],
    tokenLabel: 'Bearer token',
    form: {
      ssoUrl: 'IdP Single Sign-On URL',
      issuer: 'IdP Entity ID (Issuer)',
      certificate: 'IdP signing certificate',
    },
    metadata: { where: "the IdP's SAML 2.0 metadata URL, or its metadata document", url: true },
    steps: [
      'Create a SAML 2.0 application with the ACS URL and SP Entity ID from this page (or import the SP metadata); send the email address as NameID.',
      "Copy the IdP's single sign-on URL, entity ID and signing certificate into the form on this page and save.",
      'If it provisions over SCIM 2.0: base URL from this page, HTTP header authentication with the SCIM token as Bearer. Without SCIM, tick just-in-time creation.',
    ],
  },
}
