/**
 * The trace of one sign-in attempt: the steps run, in order, each with `ok` and a short detail
 * (values such as the audience found and the one expected, never signature bytes nor the raw
 * response), and the values read from the response so far. The pipeline (`pipeline.ts`) and the
 * commit (`service.ts`) fill it; `attempts.ts` stores it and `explain.ts` turns it into advice.
 *
 * Step names map to the files that do the check: `form` (form.ts), `parse` (xml.ts, xml-bounds.ts),
 * then steps/*.ts by name (`structure`, `signature`, `decrypt`, `status`, `destination`, `issuer`,
 * `audience`, `conditions`, `subject_confirmation`, `validity_window`, `in_response_to`,
 * `identity`), then the commit in service.ts (`replay`, `request`, `account`, `session`), and the
 * gates before all of it (`rate_limit`, `integration`).
 *
 * Values are first read from the posted document right after it parses (`signed: false`: anyone
 * can write them, so they are only ever displayed, escaped, never trusted or acted on), then read
 * again from the verified content once the signature step passed (`signed: true`). `signed` speaks
 * for the assertion's values (issuer, NameID, audience, attributes, the bearer InResponseTo); the
 * Destination is an attribute of the Response, covered only when the Response itself is signed.
 * Every string is capped, and the attributes in count and length, so a hostile response cannot
 * make a big row.
 */
import { SamlRejection } from './rejection.ts'
import { attribute, children, NS, type XmlElement } from './xml.ts'

export const TRACE_STEPS = [
  'rate_limit',
  'integration',
  'form',
  'parse',
  'structure',
  'signature',
  'decrypt',
  'status',
  'destination',
  'issuer',
  'audience',
  'conditions',
  'subject_confirmation',
  'validity_window',
  'in_response_to',
  'identity',
  'replay',
  'request',
  'account',
  'session',
] as const

export type TraceStepName = (typeof TRACE_STEPS)[number]

export interface TraceStep {
  step: TraceStepName
  ok: boolean
  detail: string
}

export interface TraceValues {
  issuer: string | null
  nameId: string | null
  audience: string | null
  destination: string | null
  inResponseTo: string | null
  attributes: Record<string, string[]>
  /** True once the values were read from verified content. */
  signed: boolean
  /** False until the response parsed (nothing was read). */
  read: boolean
}

/** Bounds of what one trace keeps. */
export const TRACE_LIMITS = {
  detail: 300,
  value: 500,
  attributes: 20,
  attributeName: 100,
  valuesPerAttribute: 10,
  attributeValue: 200,
  steps: 24,
} as const

export const cap = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text

const emptyValues = (): TraceValues => ({
  issuer: null,
  nameId: null,
  audience: null,
  destination: null,
  inResponseTo: null,
  attributes: {},
  signed: false,
  read: false,
})

/** Direct children by name, never throwing (the values are read before the document is vetted). */
function child(parent: XmlElement | null, ns: string, localName: string): XmlElement | null {
  return parent ? (children(parent, ns, localName)[0] ?? null) : null
}

/** The text of an element's text and CDATA children, capped; never throws. */
function text(element: XmlElement | null): string | null {
  if (!element) return null
  let out = ''
  for (let node = element.firstChild; node && out.length <= TRACE_LIMITS.value; node = node.nextSibling) {
    if (node.nodeType === 3 || node.nodeType === 4) out += (node as unknown as { data: string }).data
  }
  return cap(out.trim(), TRACE_LIMITS.value)
}

const capped = (value: string | null): string | null =>
  value === null ? null : cap(value, TRACE_LIMITS.value)

function attributesOf(assertion: XmlElement | null): Record<string, string[]> {
  const found: Record<string, string[]> = {}
  if (!assertion) return found
  let count = 0
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attr of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute(attr, 'Name')
      if (!name) continue
      const key = cap(name, TRACE_LIMITS.attributeName)
      if (!Object.hasOwn(found, key)) {
        if (count >= TRACE_LIMITS.attributes) continue
        count++
        found[key] = []
      }
      const list = found[key] as string[]
      for (const value of children(attr, NS.assertion, 'AttributeValue')) {
        if (list.length >= TRACE_LIMITS.valuesPerAttribute) break
        list.push(cap(text(value) ?? '', TRACE_LIMITS.attributeValue))
      }
    }
  }
  return found
}

export class SamlTrace {
  readonly steps: TraceStep[] = []
  values: TraceValues = emptyValues()

  pass(step: TraceStepName, detail: string): void {
    this.add({ step, ok: true, detail })
  }

  fail(step: TraceStepName, detail: string): void {
    this.add({ step, ok: false, detail })
  }

  /** Runs one step: ok with `detail(result)`, or the rejection's detail (and the rejection goes on). */
  step<T>(step: TraceStepName, work: () => T, detail: (result: T) => string): T {
    let result: T
    try {
      result = work()
    } catch (error) {
      if (error instanceof SamlRejection) this.fail(step, error.detail)
      throw error
    }
    this.pass(step, detail(result))
    return result
  }

  /** The failing step, if any. */
  failed(): TraceStep | null {
    return this.steps.find((s) => !s.ok) ?? null
  }

  /** A position to come back to (a transaction that runs again must not list its steps twice). */
  mark(): number {
    return this.steps.length
  }

  resetTo(mark: number): void {
    this.steps.length = Math.min(this.steps.length, mark)
  }

  /**
   * Reads the values from `response` and its assertion (null: the Response's first Assertion child,
   * if any). `signed`: the assertion is verified content; `responseSigned`: the Response too (its
   * InResponseTo counts only then, as in steps/in-response-to.ts). Never throws: whatever cannot be
   * read stays null.
   */
  observe(
    response: XmlElement,
    assertion: XmlElement | null,
    signed: boolean,
    responseSigned = signed,
  ): void {
    try {
      const theAssertion = assertion ?? child(response, NS.assertion, 'Assertion')
      const subject = child(theAssertion, NS.assertion, 'Subject')
      const confirmation = child(subject, NS.assertion, 'SubjectConfirmation')
      const data = child(confirmation, NS.assertion, 'SubjectConfirmationData')
      const restriction = child(
        child(theAssertion, NS.assertion, 'Conditions'),
        NS.assertion,
        'AudienceRestriction',
      )
      const audiences = restriction
        ? children(restriction, NS.assertion, 'Audience').map((a) => text(a) ?? '')
        : []
      this.values = {
        issuer:
          text(child(theAssertion, NS.assertion, 'Issuer')) ?? text(child(response, NS.assertion, 'Issuer')),
        nameId: text(child(subject, NS.assertion, 'NameID')),
        audience: audiences.length > 0 ? capped(audiences.join(' ')) : null,
        destination: capped(attribute(response, 'Destination')),
        inResponseTo:
          capped(data ? attribute(data, 'InResponseTo') : null) ??
          (signed && !responseSigned ? null : capped(attribute(response, 'InResponseTo'))),
        attributes: attributesOf(theAssertion),
        signed,
        read: true,
      }
    } catch {
      // A value that cannot be read is not shown; the steps say what was wrong.
    }
  }

  /** Overrides the request id with what the signed-content rule found (see steps/in-response-to.ts). */
  settleInResponseTo(requestId: string | null): void {
    this.values = { ...this.values, inResponseTo: capped(requestId) }
  }

  private add(step: TraceStep): void {
    if (this.steps.length >= TRACE_LIMITS.steps) return
    this.steps.push({ ...step, detail: cap(step.detail, TRACE_LIMITS.detail) })
  }
}

/** idp_initiated / sp_initiated from the values read, null when nothing was read. */
export function flowOf(values: TraceValues): 'idp_initiated' | 'sp_initiated' | null {
  if (!values.read) return null
  return values.inResponseTo ? 'sp_initiated' : 'idp_initiated'
}
