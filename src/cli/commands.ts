/**
 * The store-management commands: thin wrappers over the org service (create) and the credentials
 * service (list, revoke, remove, set-password, in `access-commands.ts`).
 */
import type { Config } from '../config/index.ts'
import { ServiceError } from '../errors.ts'
import { createAdmin, createApiKey, createOrg } from '../orgs/service.ts'
import { issueSetupCode } from '../setup/code.ts'
import { openStoreAt, type Store, storeLocation } from '../store/index.ts'
import { runAccessCommand } from './access-commands.ts'
import { type Flags, print, required, stdinPassword, UsageError } from './flags.ts'
import { COMMAND_HELP } from './help.ts'
import { type CliIo, EXIT } from './output.ts'

export { UsageError } from './flags.ts'

export async function runStoreCommand(
  name: string,
  flags: Flags,
  config: Config,
  io: CliIo,
): Promise<number> {
  if (flags.has('help')) {
    io.out(COMMAND_HELP[name] ?? '')
    return EXIT.ok
  }
  let store: Store | null = null
  try {
    store = await openStoreAt(storeLocation(config.databaseUrl), { poolSize: 2 })
    if (name === 'org create') {
      const org = await createOrg(store, {
        slug: required(flags, 'slug'),
        name: flags.get('name'),
        url: flags.get('url'),
      })
      const url = org.url ?? `${config.publicUrl}/orgs/${org.slug}`
      print(io, flags, { ...org }, `Created organization ${org.slug} (${org.name}) at ${url}\nid: ${org.id}`)
      return EXIT.ok
    }
    if (name === 'admin create') {
      const admin = await createAdmin(store, {
        orgSlug: required(flags, 'org'),
        email: required(flags, 'email'),
        password: await stdinPassword(io, flags),
        actor: 'cli',
        breakGlass: flags.get('break-glass') === 'true',
      })
      print(
        io,
        flags,
        // `breakGlass` only when asked for: the plain answer stays {"id","email","password"}.
        {
          id: admin.id,
          email: admin.email,
          password: admin.password,
          ...(admin.breakGlass ? { breakGlass: true } : {}),
        },
        `Created ${admin.breakGlass ? 'break-glass ' : ''}admin ${admin.email}\nid: ${admin.id}\npassword: ${admin.password}\nSign in at ${config.publicUrl}/orgs/${required(flags, 'org')}/admin/login`,
      )
      return EXIT.ok
    }
    if (name === 'api-key create') {
      const key = await createApiKey(store, {
        orgSlug: required(flags, 'org'),
        name: flags.get('name'),
        actor: 'cli',
      })
      print(
        io,
        flags,
        { id: key.id, key: key.key },
        `Created API key ${key.id}\nkey: ${key.key}\n(shown once; send it as Authorization: Bearer <key>)`,
      )
      return EXIT.ok
    }
    if (name === 'setup-code') {
      const issued = await issueSetupCode(store)
      if (!issued) {
        throw new ServiceError(
          409,
          'ALREADY_SET_UP',
          'this instance already has an organization: first run is over (use admin create / org create)',
        )
      }
      print(
        io,
        flags,
        { ...issued },
        `setup code: ${issued.code}\nvalid until ${issued.expiresAt}, once; open ${config.publicUrl} to use it`,
      )
      return EXIT.ok
    }
    const code = await runAccessCommand(name, flags, store, io)
    if (code !== null) return code
    throw new UsageError(`unknown command "${name}"; see okta-bridge --help`)
  } catch (error) {
    if (error instanceof UsageError) {
      if (flags.has('json')) io.out(JSON.stringify({ error: { code: 'USAGE', message: error.message } }))
      io.err(`error: ${error.message}`)
      return EXIT.usage
    }
    if (error instanceof ServiceError) {
      if (flags.has('json'))
        io.out(JSON.stringify({ error: { code: error.code, message: error.message, field: error.field } }))
      io.err(`error: ${error.message}`)
      return error.status === 400 ? EXIT.usage : EXIT.refused
    }
    throw error
  } finally {
    await store?.close()
  }
}
