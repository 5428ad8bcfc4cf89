/**
 * Form pieces with labels, hints and field-level errors wired for assistive technology
 * (`aria-describedby`, `aria-invalid`), plus the hidden CSRF field every console form carries.
 */
import { attr, html, type SafeHtml } from '../../pages/html.ts'

export type FieldErrors = Partial<Record<string, string>>

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`
}

interface FieldOptions {
  name: string
  label: string
  value?: string | null
  hint?: string
  error?: string
  required?: boolean
  type?: 'text' | 'email' | 'password' | 'url' | 'search'
  autocomplete?: string
  placeholder?: string
  rows?: number
  /** Renders a <textarea> instead of an <input>. */
  multiline?: boolean
}

export function field(options: FieldOptions): SafeHtml {
  const id = `f-${options.name}`
  const hintId = options.hint ? `${id}-hint` : null
  const errorId = options.error ? `${id}-error` : null
  const describedBy = [hintId, errorId].filter(Boolean).join(' ')
  const common = html`id="${id}" name="${options.name}"${attr('required', options.required ?? false)}${
    describedBy ? html` aria-describedby="${describedBy}"` : html``
  }${options.error ? html` aria-invalid="true"` : html``}`
  const control = options.multiline
    ? html`<textarea ${common} rows="${options.rows ?? 6}" spellcheck="false">${options.value ?? ''}</textarea>`
    : html`<input ${common} type="${options.type ?? 'text'}" value="${options.value ?? ''}"${
        options.autocomplete ? html` autocomplete="${options.autocomplete}"` : html``
      }${options.placeholder ? html` placeholder="${options.placeholder}"` : html``}>`
  return html`<div class="field${options.error ? ' has-error' : ''}">
<label for="${id}">${options.label}</label>
${options.hint ? html`<p class="hint" id="${hintId}">${options.hint}</p>` : html``}
${control}
${options.error ? html`<p class="field-error" id="${errorId}">${options.error}</p>` : html``}
</div>`
}

/** A value the admin copies somewhere else, with a copy button the script enables. */
export function copyable(id: string, label: string, value: string, hint?: string): SafeHtml {
  return html`<div class="copyable">
<dt id="${id}-label">${label}</dt>
<dd><code id="${id}" aria-labelledby="${id}-label">${value}</code>
<button type="button" class="copy" data-copy="${id}" hidden>Copy</button>
${hint ? html`<span class="hint">${hint}</span>` : html``}</dd>
</div>`
}
