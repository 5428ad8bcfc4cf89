/** Help texts of the binary and each command. */
import { SETTINGS } from '../config/index.ts'

export const MAIN_HELP = `okta-bridge — connect organizations to Okta (SAML 2.0 SSO + SCIM 2.0 provisioning)

Usage:
  okta-bridge [serve] [settings]          start the server (the default command)
  okta-bridge org create --slug SLUG [--name NAME] [--url https://acme.example.com] [--json]
  okta-bridge admin create --org SLUG --email EMAIL [--password-stdin] [--json]
  okta-bridge api-key create --org SLUG [--name NAME] [--json]
  okta-bridge --version | --help
  okta-bridge COMMAND --help              help for one command

Commands act on the same store as the server (by --data-dir/DATABASE_URL), also while it runs.

Settings (flag or environment variable):
${SETTINGS.map((s) => `  --${s.flag.padEnd(28)} ${s.env.padEnd(28)} ${s.help}`).join('\n')}
`

export const COMMAND_HELP: Record<string, string> = {
  serve: `okta-bridge serve [settings]

Starts the HTTP server and the sync scheduler. Migrates the store on start. Stops cleanly on
SIGTERM/SIGINT (finishes in-flight requests and the current sync batch, then closes the store).
See okta-bridge --help for the settings.`,
  'org create': `okta-bridge org create --slug SLUG [--name NAME] [--url ORIGIN] [--json]

Creates an organization. Its URL is {PUBLIC_URL}/orgs/SLUG, or ORIGIN when --url is given (the org
is then served at that origin's root, matched by the Host header).
  --slug   1-63 lowercase letters, digits or dashes (required)
  --name   display name (defaults to the slug)
  --url    the org's own origin, e.g. https://acme.example.com
Output (--json): {"id","slug","name","url"}`,
  'admin create': `okta-bridge admin create --org SLUG --email EMAIL [--password-stdin] [--json]

Creates an admin who signs in at {orgURL}/admin/login. Without --password-stdin a strong password
is generated and printed once. With --password-stdin the password is read from standard input
(at least 12 characters).
Output (--json): {"id","email","password"}`,
  'api-key create': `okta-bridge api-key create --org SLUG [--name NAME] [--json]

Creates an admin API key for the org (send it as Authorization: Bearer <key>). The key is shown
once; only its hash is stored.
Output (--json): {"id","key"}`,
}

/** The flags each command takes besides the settings and --json/--help/--version. */
const COMMAND_FLAGS: Record<string, string[]> = {
  serve: [],
  'org create': ['slug', 'name', 'url'],
  'admin create': ['org', 'email', 'password-stdin'],
  'api-key create': ['org', 'name'],
}

const COMMON_FLAGS = new Set(['json', 'help', 'version', ...SETTINGS.map((s) => s.flag)])

export function acceptsFlag(command: string, flag: string): boolean {
  return COMMON_FLAGS.has(flag) || (COMMAND_FLAGS[command] ?? []).includes(flag)
}

/** Help for a command (`org create`) or for every command of a group (`org`), or null. */
export function groupHelp(name: string): string | null {
  const own = COMMAND_HELP[name]
  if (own !== undefined) return own
  const members = Object.keys(COMMAND_HELP).filter((command) => command.startsWith(`${name} `))
  return members.length > 0 ? members.map((command) => COMMAND_HELP[command]).join('\n\n') : null
}
