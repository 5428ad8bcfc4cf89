/**
 * The only way any page of okta-bridge builds HTML: a tagged template that escapes every
 * interpolated value unless it is already `SafeHtml` (the result of another `html` template).
 * Arrays are joined; null, undefined and false render nothing. `SafeHtml` cannot be made from a
 * string anywhere else: its class is not exported and there is no `raw()`, so a name like
 * `<script>alert("x")</script>` coming from Okta is always shown as text, and markup that must
 * stay markup is written in a template's literal parts, where it is code.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
}

function escapeText(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string)
}

/** Markup already safe to emit as is; only this module makes one. */
class Markup {
  readonly #markup: string
  constructor(markup: string) {
    this.#markup = markup
  }
  toString(): string {
    return this.#markup
  }
}

/** Markup that is already safe to emit as is. Only `html` and `attr` create it. */
export type SafeHtml = Markup

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Markup) return value.toString()
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeText(String(value))
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] as string
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] as string)
  return new Markup(out)
}

/** Boolean attribute helper: `<input ${attr('required', true)}>`. */
export function attr(name: string, on: boolean): SafeHtml {
  return new Markup(on ? ` ${escapeText(name)}` : '')
}
