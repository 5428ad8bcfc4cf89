/** How a CLI command talks: human lines by default, one JSON object with --json; errors on stderr. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  readStdin(): Promise<string>
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  readStdin: () => Bun.stdin.text(),
}

/** Exit codes: 0 success, 1 refused by the service (duplicate, unknown org), 2 bad usage/settings. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const
