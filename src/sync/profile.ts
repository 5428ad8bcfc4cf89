/**
 * What an account takes from a provisioned user: its email (the primary email of the SCIM resource
 * with its original case, else the first, else the userName) and its name (displayName, else
 * given + family name, else the userName).
 */
import type { DirectoryUserRow } from '../store/directory-read.ts'

export interface Profile {
  email: string
  emailLower: string
  name: string
}

interface EmailValue {
  value?: unknown
  primary?: unknown
}

function resourceEmail(resource: string): string | null {
  try {
    const parsed = JSON.parse(resource) as { emails?: unknown }
    if (!Array.isArray(parsed.emails)) return null
    const emails = parsed.emails as EmailValue[]
    const chosen = emails.find((e) => e?.primary === true && typeof e.value === 'string') ?? emails[0]
    return typeof chosen?.value === 'string' && chosen.value.trim() ? chosen.value.trim() : null
  } catch {
    return null
  }
}

/** Per row object: a batch asks for the profile of one row several times (prefetch, apply). */
const profiles = new WeakMap<DirectoryUserRow, Profile>()

export function profileOf(user: DirectoryUserRow): Profile {
  let profile = profiles.get(user)
  if (!profile) {
    profile = readProfile(user)
    profiles.set(user, profile)
  }
  return profile
}

function readProfile(user: DirectoryUserRow): Profile {
  let email = resourceEmail(user.resource)
  // The directory's email_lower is authoritative for matching; the resource only gives the case.
  if (email && user.email_lower && email.toLowerCase() !== user.email_lower) email = user.email_lower
  email ??= user.email_lower ?? user.user_name
  const given = [user.given_name, user.family_name].filter((p) => p?.trim()).join(' ')
  const name = user.display_name?.trim() || given || user.user_name
  return { email, emailLower: email.toLowerCase(), name: name.slice(0, 200) }
}
