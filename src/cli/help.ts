/** Help texts of the binary and each command. */
import { SETTINGS } from '../config/index.ts'

export const MAIN_HELP = `okta-bridge — connect organizations to Okta (SAML 2.0 SSO + SCIM 2.0 provisioning)

Usage:
  okta-bridge [serve] [settings]          start the server (the default command)
  okta-bridge setup-code [--json]         a one-time code for the first-run page (no org yet)
  okta-bridge org create --slug SLUG [--name NAME] [--url https://acme.example.com] [--json]
  okta-bridge admin create --org SLUG --email EMAIL [--password-stdin] [--break-glass] [--json]
  okta-bridge admin list --org SLUG [--json]
  okta-bridge admin remove --org SLUG --email EMAIL [--force] [--json]
  okta-bridge admin set-password --org SLUG --email EMAIL [--password-stdin] [--json]
  okta-bridge api-key create --org SLUG [--name NAME] [--json]
  okta-bridge api-key list --org SLUG [--json]
  okta-bridge api-key revoke --org SLUG --id ID [--json]
  okta-bridge store copy --from STORE --to STORE [--force] [--json]
  okta-bridge backup --out FILE.sqlite [--force] [--json]
  okta-bridge doctor [settings] [--json]  check settings, store, reachability, certificates, clock
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
With --tls-cert/--tls-key it serves HTTPS; SIGHUP re-reads both files without dropping connections.
See okta-bridge --help for the settings.`,
  'setup-code': `okta-bridge setup-code [--json]

While the instance has no organization, makes a new one-time set-up code for the first-run page at
PUBLIC_URL (the server also prints one in its log at every start). The code works once and for 24 h;
codes made earlier stay valid until then. Refused (exit 1) once an organization exists.
Output (--json): {"code","expiresAt"}`,
  'org create': `okta-bridge org create --slug SLUG [--name NAME] [--url ORIGIN] [--json]

Creates an organization. Its URL is {PUBLIC_URL}/orgs/SLUG, or ORIGIN when --url is given (the org
is then served at that origin's root, matched by the Host header).
  --slug   1-63 lowercase letters, digits or dashes (required)
  --name   display name (defaults to the slug)
  --url    the org's own origin, e.g. https://acme.example.com
Output (--json): {"id","slug","name","url"}`,
  'admin create': `okta-bridge admin create --org SLUG --email EMAIL [--password-stdin] [--break-glass] [--json]

Creates an admin who signs in at {orgURL}/admin/login. Without --password-stdin a strong password
is generated and printed once. With --password-stdin the password is read from standard input
(at least 12 characters). --break-glass marks an admin whose password still works while the org
requires admins to sign in with Okta (requireSsoForAdmins); each such sign-in is audited as
admin.break_glass_sign_in.
Output (--json): {"id","email","password"}, with "breakGlass": true for --break-glass`,
  'admin list': `okta-bridge admin list --org SLUG [--json]

Lists the admins of the org, oldest first: how each came to be (source "password", or "sso" for one
made by their first console sign-in with Okta) and whether they are break-glass.
Output (--json): {"items":[{"id","email","createdAt","source","breakGlass","accountId"}]}`,
  'admin remove': `okta-bridge admin remove --org SLUG --email EMAIL [--force] [--json]

Removes an admin and ends all of their console sessions at once (their next request needs a
sign-in, which fails). The org's last admin is kept unless --force is given: the admin API and
the console never remove the last one, the CLI may, because shell access can create a new one.
Output (--json): {"id","email","endedSessions"}`,
  'admin set-password': `okta-bridge admin set-password --org SLUG --email EMAIL [--password-stdin] [--json]

Sets a new password for an admin and ends all of their sessions. Without --password-stdin a strong
password is generated and printed once; with it the password is read from standard input (at
least 12 characters).
Output (--json): {"id","email","password","endedSessions"}`,
  'api-key create': `okta-bridge api-key create --org SLUG [--name NAME] [--json]

Creates an admin API key for the org (send it as Authorization: Bearer <key>). The key is shown
once; only its hash is stored.
Output (--json): {"id","key"}`,
  'api-key list': `okta-bridge api-key list --org SLUG [--json]

Lists the org's admin API keys, oldest first: id, name, when created and last used. Never the key
(only its hash is stored).
Output (--json): {"items":[{"id","name","createdAt","lastUsedAt"?}]}`,
  'api-key revoke': `okta-bridge api-key revoke --org SLUG --id ID [--json]

Deletes an admin API key: the next request with it gets 401. The id is the one \`api-key list\`
and \`api-key create\` print.
Output (--json): {"id","name","revoked"}`,
  'store copy': `okta-bridge store copy --from STORE --to STORE [--force] [--json]

Copies every row of one store into another; each STORE is a SQLite file path (or sqlite://path) or
postgres://user:password@host:5432/database. The way from SQLite to PostgreSQL (and back). Both
stores are brought to this version's schema first. The source is read inside one snapshot, so it
may be copied while servers write to it; the target is written in one transaction, and the row
count of every table is checked before it commits (a mismatch exits 1 and leaves the target as it
was). A target that holds rows is refused unless --force, which replaces them.
  --from   the store to read (required)
  --to     the store to write (required; created and migrated when new)
  --force  empty a target that holds rows first
Progress goes to stderr on a terminal.
Output (--json): {"from","to","tables":{"<table>":rows},"seconds"} (URLs without passwords)`,
  doctor: `okta-bridge doctor [settings] [--json]

Checks what an operator would, with the same settings as serve (flags and environment), and prints
what to fix: the configuration; the store (opened, migrated and asked, SQLite or PostgreSQL);
that PUBLIC_URL and every org's own origin reach a server from this machine (GET /healthz); the
expiry of the TLS certificate (--tls-cert) and of every org's IdP and SP certificates (fails within
14 days); the clock against the IdP's, from the IssueInstant of the org's last sign-ins (fails
beyond 30 s). Run it where the server runs, with its settings; a private CA for PUBLIC_URL is
trusted with NODE_EXTRA_CA_CERTS=/path/ca.pem.
Exit code: 0 when every check holds, 1 otherwise.
Output (--json): {"checks":[{"name","ok","detail"}]}`,
  backup: `okta-bridge backup --out FILE.sqlite [--force] [--json]

Writes an online, consistent snapshot of the store (DATABASE_URL, SQLite or PostgreSQL) into a new
SQLite file, also while servers run; restore it with okta-bridge store copy --from FILE.sqlite --to
STORE. An existing FILE is refused unless --force. The file holds everything the store holds (keys,
hashes, the directory): it is created 0600; keep it as safe as the store.
Output (--json): {"from","to","tables":{"<table>":rows},"seconds"}`,
}

/** The flags each command takes besides the settings and --json/--help/--version. */
const COMMAND_FLAGS: Record<string, string[]> = {
  serve: [],
  'setup-code': [],
  'org create': ['slug', 'name', 'url'],
  'admin create': ['org', 'email', 'password-stdin', 'break-glass'],
  'admin list': ['org'],
  'admin remove': ['org', 'email', 'force'],
  'admin set-password': ['org', 'email', 'password-stdin'],
  'api-key create': ['org', 'name'],
  'api-key list': ['org'],
  'api-key revoke': ['org', 'id'],
  'store copy': ['from', 'to', 'force'],
  backup: ['out', 'force'],
  doctor: [],
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
