/**
 * The credential commands besides `create`: `api-key list|revoke`, `admin list|remove|set-password`.
 * Thin wrappers over `orgs/credentials.ts`; every action is audited with the actor `cli`. Lists
 * print `{"items": [...]}` with --json and an aligned table otherwise.
 */
import {
  adminByEmail,
  listAdmins,
  listApiKeys,
  removeAdmin,
  revokeApiKey,
  setAdminPassword,
} from '../orgs/credentials.ts'
import { findOrg } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'
import { type Flags, print, required, stdinPassword } from './flags.ts'
import { type CliIo, EXIT } from './output.ts'

const ACTOR = 'cli'

/** Rows as left-aligned columns under a header; `empty` when there are none. */
function table(header: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return empty
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Runs one of these commands, or returns null when `name` is not one of them. */
export async function runAccessCommand(
  name: string,
  flags: Flags,
  store: Store,
  io: CliIo,
): Promise<number | null> {
  if (name === 'api-key list') {
    const items = await listApiKeys(store, await findOrg(store, required(flags, 'org')))
    const rows = items.map((k) => [k.id, k.name, k.createdAt, k.lastUsedAt ?? 'never'])
    print(io, flags, { items }, table(['ID', 'NAME', 'CREATED', 'LAST USED'], rows, 'No API keys.'))
    return EXIT.ok
  }
  if (name === 'api-key revoke') {
    const org = await findOrg(store, required(flags, 'org'))
    const key = await revokeApiKey(store, org, required(flags, 'id'), ACTOR)
    print(
      io,
      flags,
      { ...key, revoked: true },
      `Revoked API key ${key.id} (${key.name}); requests with it now get 401`,
    )
    return EXIT.ok
  }
  if (name === 'admin list') {
    const items = await listAdmins(store, await findOrg(store, required(flags, 'org')))
    const rows = items.map((a) => [a.id, a.email, a.createdAt, a.source, a.breakGlass ? 'yes' : 'no'])
    print(
      io,
      flags,
      { items },
      table(['ID', 'EMAIL', 'CREATED', 'SOURCE', 'BREAK-GLASS'], rows, 'No admins.'),
    )
    return EXIT.ok
  }
  if (name === 'admin remove') {
    const org = await findOrg(store, required(flags, 'org'))
    const admin = await adminByEmail(store, org, required(flags, 'email'))
    const removed = await removeAdmin(store, org, admin.id, {
      actor: ACTOR,
      force: flags.get('force') === 'true',
    })
    print(
      io,
      flags,
      removed,
      `Removed admin ${removed.email} (${removed.id}); ended ${plural(removed.endedSessions, 'session')}`,
    )
    return EXIT.ok
  }
  if (name === 'admin set-password') {
    const org = await findOrg(store, required(flags, 'org'))
    const admin = await adminByEmail(store, org, required(flags, 'email'))
    const password = await stdinPassword(io, flags)
    const changed = await setAdminPassword(store, org, admin.id, { password, actor: ACTOR })
    print(
      io,
      flags,
      {
        id: changed.id,
        email: changed.email,
        password: changed.password,
        endedSessions: changed.endedSessions,
      },
      `Changed the password of ${changed.email}\npassword: ${changed.password}\nended ${plural(changed.endedSessions, 'session')}`,
    )
    return EXIT.ok
  }
  return null
}
