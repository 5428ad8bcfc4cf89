/**
 * Sign-in attempts, framework-free: the row one attempt's trace becomes (one insert, made by
 * service.ts in the transaction that commits the sign-in or audits its rejection) and the item a
 * row reads as. The admin's reads are src/admin/services/sign-in-attempts.ts.
 *
 * The id is the reference the person's failure page shows: 12 characters of Crockford's base32 in
 * three groups (`K3QX-9M2A-7ZPD`, 60 random bits), so it can be read over the phone; a reference
 * typed back is read case-insensitively, with or without dashes, O as 0 and I/L as 1.
 */
import type { Repositories } from '../store/index.ts'
import type { SamlAttemptRow } from '../store/saml-attempts.ts'
import type { AttemptItem, AttemptOutcome } from './attempts-model.ts'
import type { RejectionReason } from './rejection.ts'
import { cap, flowOf, type SamlTrace, TRACE_LIMITS, type TraceStep, type TraceStepName } from './trace.ts'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export function newAttemptId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31] as string).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
}

/** The canonical reference for what someone typed, or null when it cannot be one. */
export function normalizeReference(input: string): string | null {
  const plain = input.trim().toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (plain.length !== 12 || ![...plain].every((c) => ALPHABET.includes(c))) return null
  return `${plain.slice(0, 4)}-${plain.slice(4, 8)}-${plain.slice(8, 12)}`
}

/** The step a rejection belongs to when it was raised outside any traced step. */
const STEP_OF_REASON: Partial<Record<RejectionReason, TraceStepName>> = {
  rate_limited: 'rate_limit',
  integration_missing: 'integration',
  form_invalid: 'form',
  response_too_large: 'form',
  response_not_base64: 'form',
  assertion_count: 'structure',
  replayed: 'replay',
  in_response_to_unknown: 'request',
  user_not_provisioned: 'account',
  user_inactive: 'account',
}

export interface AttemptRecord {
  orgId: string
  at: number
  outcome: AttemptOutcome
  rejection: { reason: RejectionReason; detail: string } | null
  trace: SamlTrace
  client: string | null
}

/** The row of one attempt: values capped, and a failing step named even when none was traced. */
export function attemptRow(record: AttemptRecord): SamlAttemptRow {
  const { trace, rejection } = record
  const steps: TraceStep[] = [...trace.steps]
  if (rejection && !steps.some((s) => !s.ok) && steps.length < TRACE_LIMITS.steps) {
    steps.push({
      step: STEP_OF_REASON[rejection.reason] ?? 'structure',
      ok: false,
      detail: cap(rejection.detail, TRACE_LIMITS.detail),
    })
  }
  const values = trace.values
  return {
    id: newAttemptId(),
    org_id: record.orgId,
    at: record.at,
    outcome: record.outcome,
    reason: rejection?.reason ?? null,
    flow: flowOf(values),
    issuer: values.issuer,
    name_id: values.nameId,
    audience: values.audience,
    destination: values.destination,
    in_response_to: values.inResponseTo,
    signed: values.signed ? 1 : 0,
    attributes: JSON.stringify(values.attributes),
    client_address: record.client === null ? null : cap(record.client, 100),
    steps: JSON.stringify(steps),
  }
}

/** Writes the attempt (inside the caller's transaction) and answers its reference. */
export async function recordAttempt(repos: Repositories, record: AttemptRecord): Promise<string> {
  const row = attemptRow(record)
  await repos.samlAttempts.insert(row)
  return row.id
}

export function attemptItem(row: SamlAttemptRow): AttemptItem {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    outcome: row.outcome as AttemptOutcome,
    reason: row.reason,
    flow: row.flow as AttemptItem['flow'],
    issuer: row.issuer,
    nameId: row.name_id,
    audience: row.audience,
    destination: row.destination,
    inResponseTo: row.in_response_to,
    signed: row.signed === 1,
    attributes: JSON.parse(row.attributes) as Record<string, string[]>,
    clientAddress: row.client_address,
    steps: JSON.parse(row.steps) as TraceStep[],
  }
}
