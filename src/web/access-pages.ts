/**
 * Settings → Access pages over the credentials service (`orgs/credentials.ts`, the same functions
 * the admin API and the CLI call): API keys (create shown once, revoke), admins (add, remove) and
 * the signed-in admin's own password. Forms become service inputs; the rules (password length, the
 * last admin stays, sessions end at once) stay in the service. A secret is only ever in the one
 * answer that made it: those answers render the page directly instead of redirecting.
 */
import { Elysia, t } from 'elysia'
import { endAdminSession } from '../admin/session.ts'
import { checkAdminPassword } from '../admin/sign-in.ts'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { listAdmins, listApiKeys, removeAdmin, revokeApiKey, setAdminPassword } from '../orgs/credentials.ts'
import { createAdmin, createApiKey } from '../orgs/service.ts'
import { redirect } from '../pages/shell.ts'
import { type ConsoleContext, consolePage, consolePages, doneNotices } from './console.ts'
import type { Flash } from './layout.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from './openapi.ts'
import { type AccessPageInput, accessPage } from './views/access.ts'
import type { FieldErrors } from './views/forms.ts'

const SlugParams = t.Object({ slug: t.String() })
const IdParams = t.Object({ slug: t.String(), id: t.String({ maxLength: 64 }) })
const Csrf = t.String({ maxLength: 200 })
// Bounds only: the service's own rules give the field messages.
const Secret = t.String({ maxLength: 2048 })
const CsrfForm = t.Object({ _csrf: Csrf })
const KeyForm = t.Object({ _csrf: Csrf, keyName: t.String({ maxLength: 1000 }) })
const AdminForm = t.Object({
  _csrf: Csrf,
  email: t.String({ maxLength: 1000 }),
  adminPassword: t.Optional(Secret),
})
const PasswordForm = t.Object({
  _csrf: Csrf,
  currentPassword: Secret,
  newPassword: Secret,
  confirmPassword: Secret,
})

const done = doneNotices({
  revoked: 'The API key is revoked; requests with it are refused.',
  removed: 'The admin is removed and their sessions have ended.',
  added: 'The admin is added; they sign in with the password you chose.',
  password: 'Your password is changed; every other session of yours has ended.',
})

type Extra = Partial<Pick<AccessPageInput, 'createdKey' | 'createdAdmin' | 'values' | 'errors'>>

export function accessPageRoutes(deps: AppDeps) {
  const { store, config } = deps
  const path = (context: ConsoleContext) => `${context.basePath}/admin/access`

  const render = async (
    context: ConsoleContext,
    extra: Extra = {},
    flashes: Flash[] = [],
    status = 200,
  ): Promise<Response> => {
    const [apiKeys, admins] = await Promise.all([
      listApiKeys(store, context.org),
      listAdmins(store, context.org),
    ])
    return consolePage(
      context,
      'Access',
      'access',
      accessPage({
        basePath: context.basePath,
        csrfToken: context.admin.csrfToken,
        selfAdminId: context.admin.adminId,
        apiKeys,
        admins,
        ...extra,
      }),
      { flashes, status },
    )
  }

  /** A refusal from the service: the page again, the message next to its field (or above). */
  const refused = (context: ConsoleContext, error: unknown, fields: Record<string, string>, extra: Extra) => {
    if (!(error instanceof ServiceError) || error.status >= 500) throw error
    const name = error.field ? fields[error.field] : undefined
    const errors: FieldErrors = name ? { [name]: error.message } : {}
    const text = name ? 'Please correct the field marked below.' : error.message
    return render(context, { ...extra, errors }, [{ kind: 'error', text }], error.status)
  }

  // Every form on this page comes back to it.
  const form = { form: '/admin/access' }

  return new Elysia({ prefix: '/orgs/:slug/admin/access', normalize: false })
    .use(consolePages(deps))
    .get(
      '',
      async (context) => {
        const { query } = context
        return render(context, {}, done.flashes(query))
      },
      {
        params: SlugParams,
        query: done.query,
        admin: true,
        detail: pageDoc('Console', 'Settings → Access: API keys, admins, your password', {
          200: 'The access page',
          ...CONSOLE_PAGE,
        }),
      },
    )
    .post(
      '/api-keys',
      async (context) => {
        const { body } = context
        try {
          const createdKey = await createApiKey(store, {
            orgSlug: context.org.slug,
            name: body.keyName.trim() === '' ? undefined : body.keyName,
            actor: context.actor,
          })
          return await render(context, { createdKey }, [{ kind: 'ok', text: 'The API key is created.' }])
        } catch (error) {
          return refused(context, error, { name: 'keyName' }, { values: { keyName: body.keyName } })
        }
      },
      {
        params: SlugParams,
        body: KeyForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', 'Create an API key (form post)', {
          200: 'The new key, shown once',
          ...CONSOLE_FORM,
          400: 'The name is invalid: the page again, naming the field',
        }),
      },
    )
    .post(
      '/api-keys/:id/revoke',
      async (context) => {
        const { params } = context
        try {
          await revokeApiKey(store, context.org, params.id, context.actor)
        } catch (error) {
          return refused(context, error, {}, {})
        }
        return redirect(`${path(context)}?revoked=1`)
      },
      {
        params: IdParams,
        body: CsrfForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', 'Revoke an API key (form post)', {
          303: 'Revoked: back to the access page',
          ...CONSOLE_FORM,
          404: 'No such key in this org (page)',
        }),
      },
    )
    .post(
      '/admins',
      async (context) => {
        const { body } = context
        try {
          const admin = await createAdmin(store, {
            orgSlug: context.org.slug,
            email: body.email,
            password: body.adminPassword ? body.adminPassword : undefined,
            actor: context.actor,
          })
          if (!admin.generated) return redirect(`${path(context)}?added=1`)
          return await render(context, { createdAdmin: { email: admin.email, password: admin.password } }, [
            { kind: 'ok', text: `${admin.email} is an admin now.` },
          ])
        } catch (error) {
          return refused(
            context,
            error,
            { email: 'email', password: 'adminPassword' },
            { values: { email: body.email } },
          )
        }
      },
      {
        params: SlugParams,
        body: AdminForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', 'Add an admin (form post)', {
          200: 'Added with a generated password, shown once',
          303: 'Added with the given password: back to the access page',
          ...CONSOLE_FORM,
          400: 'A value is invalid: the page again, naming the field',
          409: 'An admin with that email exists: the page again',
        }),
      },
    )
    .post(
      '/admins/:id/remove',
      async (context) => {
        const { params, request } = context
        try {
          await removeAdmin(store, context.org, params.id, { actor: context.actor })
        } catch (error) {
          return refused(context, error, {}, {})
        }
        // Removing yourself ends this session too: clear the cookie and go to sign-in.
        if (params.id === context.admin.adminId) {
          const cleared = await endAdminSession(store, context.org, request, config.publicUrl)
          return redirect(`${context.basePath}/admin/login`, { 'set-cookie': cleared })
        }
        return redirect(`${path(context)}?removed=1`)
      },
      {
        params: IdParams,
        body: CsrfForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', 'Remove an admin (form post)', {
          303: 'Removed: back to the access page (or to sign-in after removing yourself)',
          ...CONSOLE_FORM,
          404: 'No such admin in this org (page)',
          409: 'The last admin cannot be removed: the page again',
        }),
      },
    )
    .post(
      '/password',
      async (context) => {
        const { body } = context
        const fail = (name: string, message: string) =>
          render(
            context,
            { errors: { [name]: message } },
            [{ kind: 'error', text: 'Please correct the field marked below.' }],
            400,
          )
        if (body.newPassword !== body.confirmPassword)
          return fail('confirmPassword', 'The two new passwords differ.')
        // The current password guards against a session left open on someone else's screen.
        const ok = await checkAdminPassword(store, context.org, context.admin.email, body.currentPassword)
        if (ok?.adminId !== context.admin.adminId)
          return fail('currentPassword', 'That is not your current password.')
        try {
          await setAdminPassword(store, context.org, context.admin.adminId, {
            password: body.newPassword,
            actor: context.actor,
            keepSessionToken: context.admin.token,
          })
        } catch (error) {
          return refused(context, error, { password: 'newPassword' }, {})
        }
        return redirect(`${path(context)}?password=1`)
      },
      {
        params: SlugParams,
        body: PasswordForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', 'Change your own password (form post)', {
          303: 'Changed; your other sessions ended: back to the access page',
          ...CONSOLE_FORM,
          400: 'Wrong current password, a too short one or a mismatch: the page again',
        }),
      },
    )
}
