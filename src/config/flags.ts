/**
 * The command line as words: `--name value` / `--name=value` flags and positionals. Which flag is a
 * setting is the config schema's business (`index.ts`); this only splits argv.
 */
/** Flags that are on by being present and never take a value. */
const SWITCHES = new Set([
  'json',
  'help',
  'version',
  'password-stdin',
  'force',
  'break-glass',
  'allow-private-outbound',
])
export const BOOLEAN_WORDS = ['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off']

/** Splits `--name value` / `--name=value` flags out of argv; other words are returned as positionals. */
export function parseFlags(argv: string[]): { flags: Map<string, string>; positionals: string[] } {
  const flags = new Map<string, string>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string
    if (!word.startsWith('--')) {
      positionals.push(word)
      continue
    }
    const eq = word.indexOf('=')
    if (eq > 0) {
      flags.set(word.slice(2, eq), word.slice(eq + 1))
      continue
    }
    const name = word.slice(2)
    const next = argv[i + 1]
    // Switches never take the next word (`--json org create` is not json=org); --trust-proxy takes
    // it only when it is a boolean word, a hop count or a network list (alone it means one hop).
    const takesValue = SWITCHES.has(name)
      ? false
      : name === 'trust-proxy'
        ? next !== undefined &&
          (BOOLEAN_WORDS.includes(next.trim().toLowerCase()) || /^(?=.*[\d:])[\d.:a-f/,\s]+$/i.test(next))
        : true
    if (takesValue && next !== undefined && !next.startsWith('--')) {
      flags.set(name, next)
      i++
    } else flags.set(name, 'true')
  }
  return { flags, positionals }
}
