/** What every store command shares: reading its flags, refusing bad usage, printing its answer. */
import type { CliIo } from './output.ts'

export type Flags = Map<string, string>

/** Bad usage of a command (a missing flag): one line, exit code 2. */
export class UsageError extends Error {}

export function required(flags: Flags, name: string): string {
  const value = flags.get(name)
  if (value === undefined || value === 'true' || value.trim() === '')
    throw new UsageError(`--${name} is required`)
  return value
}

/** One JSON object with --json, else the human text. */
export function print(io: CliIo, flags: Flags, json: Record<string, unknown>, human: string): void {
  if (flags.has('json')) io.out(JSON.stringify(json))
  else io.out(human)
}

/** A password from standard input without its final line break, or undefined without --password-stdin. */
export async function stdinPassword(io: CliIo, flags: Flags): Promise<string | undefined> {
  return flags.has('password-stdin') ? (await io.readStdin()).replace(/\r?\n$/, '') : undefined
}
