/**
 * How the console's pages and form posts appear in `/docs`: they answer HTML or redirects, not JSON
 * models, so each names its answers by status with a sentence. The request side (path, query and
 * form fields) still comes from the routes' TypeBox models.
 */
import type { DocumentDecoration } from 'elysia'

type Answers = Record<number, string>

const html = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' as const } } },
})

/** `detail` for a console route: tag, summary, which session it needs, and its answers. */
export function pageDoc(
  tag: 'Console' | 'Account',
  summary: string,
  answers: Answers,
  options: { description?: string; signedIn?: boolean } = {},
): DocumentDecoration {
  const responses: NonNullable<DocumentDecoration['responses']> = {}
  for (const [status, description] of Object.entries(answers)) {
    const code = Number(status)
    responses[status] = code >= 300 && code < 400 ? { description } : html(description)
  }
  const session = tag === 'Console' ? 'adminSession' : 'session'
  return {
    tags: [tag],
    summary,
    ...(options.description ? { description: options.description } : {}),
    security: options.signedIn === false ? [] : [{ [session]: [] }],
    responses,
  }
}

/** Answers every console page shares: no admin session → sign-in, unknown org → 404 page. */
export const CONSOLE_PAGE: Answers = {
  303: 'Not signed in: redirect to the admin sign-in page',
  404: 'No such organization (page)',
}

/** Answers every console form post shares, besides its own success redirect. */
export const CONSOLE_FORM: Answers = {
  ...CONSOLE_PAGE,
  400: 'The form is malformed (page)',
  403: 'The form expired or came from another site (page)',
}
