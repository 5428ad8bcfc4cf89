/**
 * The console's only way to build HTML: a tagged template that escapes every interpolated value
 * unless it is already `SafeHtml` (the result of another `html` template). Arrays are joined, null,
 * undefined and false render nothing. Nothing outside this file turns a string into markup, so a
 * name like `<script>alert("x")</script>` coming from Okta is always shown as text.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

export function escapeText(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string)
}

/** Markup that is already safe to emit as is. Only `html` creates it. */
export class SafeHtml {
  readonly #markup: string
  private constructor(markup: string) {
    this.#markup = markup
  }
  toString(): string {
    return this.#markup
  }
  /** @internal used by `html` only */
  static trusted(markup: string): SafeHtml {
    return new SafeHtml(markup)
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof SafeHtml) return value.toString()
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeText(String(value))
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] as string
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] as string)
  return SafeHtml.trusted(out)
}

/** Boolean attribute helper: `<input ${attr('required', true)}>`. */
export function attr(name: string, on: boolean): SafeHtml {
  return SafeHtml.trusted(on ? ` ${escapeText(name)}` : '')
}
