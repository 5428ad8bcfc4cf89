/**
 * Finds import cycles among the files under src/ and prints each one; exits 1 when there is any, so
 * the test command can refuse a new cycle the day it is written.
 *
 *   bun scripts/import-cycles.ts            file cycles (the check)
 *   bun scripts/import-cycles.ts --folders  also the cycles between top-level folders (information)
 *
 * Every static `import … from './…'`, `export … from './…'` and side-effect `import './…'` counts,
 * type-only ones included: a type import erases at run time, but it ties the two files together just
 * the same (the `ErrorSurface` type was the http↔scim cycle). Each printed cycle says whether it
 * also exists at run time, which is the kind that can break module initialisation order. Dynamic
 * `import()` is left out: it runs after every module is loaded. Only relative specifiers are
 * followed; packages are not ours.
 *
 * Parsing is Bun's: `Bun.Transpiler.scanImports` on the file gives the run-time imports (it drops
 * type-only ones), and on the file with its `type` modifiers removed it gives all of them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const srcDir = join(root, 'src')

interface Edge {
  to: string
  /** false when the only imports between the two files are type-only. */
  runtime: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** `import type`, `export type {…}` and inline `{ type X }` become value imports, for scanning. */
function withoutTypeModifiers(code: string): string {
  return code
    .replace(/\bimport\s+type\s+(?=[\w{*])/g, 'import ')
    .replace(/\bexport\s+type\s+(?=[{*])/g, 'export ')
    .replace(/([{,]\s*)type\s+(?=[A-Za-z_$][\w$]*\s*(?:,|\}|\bas\b))/g, '$1')
}

function resolveSpecifier(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null
  const base = resolve(dirname(from), specifier)
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return null
}

function importGraph(files: string[]): Map<string, Edge[]> {
  const ts = new Bun.Transpiler({ loader: 'ts' })
  const tsx = new Bun.Transpiler({ loader: 'tsx' })
  const graph = new Map<string, Edge[]>()
  for (const file of files) {
    const code = readFileSync(file, 'utf8')
    const transpiler = file.endsWith('.tsx') ? tsx : ts
    const statics = (source: string) =>
      transpiler
        .scanImports(source)
        .filter((i) => i.kind === 'import-statement')
        .map((i) => resolveSpecifier(file, i.path))
        .filter((p): p is string => typeof p === 'string' && p.startsWith(srcDir))
    const runtime = new Set(statics(code))
    const all = new Set([...statics(withoutTypeModifiers(code)), ...runtime])
    graph.set(
      file,
      [...all].sort().map((to) => ({ to, runtime: runtime.has(to) })),
    )
  }
  return graph
}

/** Tarjan's strongly connected components; every component with more than one node holds a cycle. */
function components<N>(nodes: N[], next: (n: N) => N[]): N[][] {
  const index = new Map<N, number>()
  const low = new Map<N, number>()
  const onStack = new Set<N>()
  const stack: N[] = []
  const found: N[][] = []
  let counter = 0
  const visit = (n: N) => {
    index.set(n, counter)
    low.set(n, counter)
    counter++
    stack.push(n)
    onStack.add(n)
    for (const m of next(n)) {
      if (!index.has(m)) {
        visit(m)
        low.set(n, Math.min(low.get(n)!, low.get(m)!))
      } else if (onStack.has(m)) low.set(n, Math.min(low.get(n)!, index.get(m)!))
    }
    if (low.get(n) === index.get(n)) {
      const component: N[] = []
      let m: N
      do {
        m = stack.pop()!
        onStack.delete(m)
        component.push(m)
      } while (m !== n)
      if (component.length > 1 || next(n).includes(n)) found.push(component)
    }
  }
  for (const n of nodes) if (!index.has(n)) visit(n)
  return found
}

/** The shortest cycle through `start` inside its component (breadth-first). */
function shortestCycle<N>(start: N, next: (n: N) => N[], inside: Set<N>): N[] {
  const parent = new Map<N, N>()
  const queue: N[] = [start]
  while (queue.length > 0) {
    const n = queue.shift()!
    for (const m of next(n)) {
      if (!inside.has(m)) continue
      if (m === start) {
        const path = [n]
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!)
        return [...path, start]
      }
      if (!parent.has(m)) {
        parent.set(m, n)
        queue.push(m)
      }
    }
  }
  return [start]
}

/**
 * Each component as cycles that together use all its files: the shortest cycle through the first
 * file not yet shown, until every file of the component appears in one.
 */
function cyclesOf<N>(component: N[], next: (n: N) => N[]): N[][] {
  const inside = new Set(component)
  const shown = new Set<N>()
  const cycles: N[][] = []
  for (const n of [...component].sort()) {
    if (shown.has(n)) continue
    const cycle = shortestCycle(n, next, inside)
    for (const m of cycle) shown.add(m)
    cycles.push(cycle)
  }
  return cycles
}

const graph = importGraph(sourceFiles(srcDir))
const name = (file: string) => relative(srcDir, file)
const next = (file: string) => (graph.get(file) ?? []).map((e) => e.to)
const nextAtRuntime = (file: string) => (graph.get(file) ?? []).filter((e) => e.runtime).map((e) => e.to)
const isRuntime = (from: string, to: string) => (graph.get(from) ?? []).some((e) => e.to === to && e.runtime)
const files = [...graph.keys()].sort()

const found = components(files, next)
for (const component of found) {
  for (const cycle of cyclesOf(component, next)) {
    const hops = cycle.slice(1).map((to, i) => ({ from: cycle[i]!, to }))
    const arrows = hops.map((h) => `${name(h.from)} ${isRuntime(h.from, h.to) ? '→' : '⇢'} `).join('')
    console.log(`import cycle: ${arrows}${name(cycle[0]!)}`)
  }
}
const atRuntime = components(files, nextAtRuntime)
for (const component of atRuntime) {
  console.log(`  of which at run time: ${component.map(name).sort().join(', ')}`)
}

if (Bun.argv.includes('--folders')) {
  // Information only: features import `http/` helpers and `http/app.ts` assembles the features, so
  // folder pairs are expected there; the pairs elsewhere are worth a look.
  const folderOf = (file: string) =>
    name(file)
      .split('/')[0]!
      .replace(/\.tsx?$/, '')
  const example = new Map<string, string>()
  for (const [from, edges] of graph) {
    for (const e of edges) {
      const key = `${folderOf(from)} ${folderOf(e.to)}`
      if (folderOf(e.to) !== folderOf(from) && !example.has(key))
        example.set(key, `${name(from)} ${e.runtime ? '→' : '⇢'} ${name(e.to)}`)
    }
  }
  for (const [key, there] of [...example].sort()) {
    const [a, b] = key.split(' ') as [string, string]
    const back = example.get(`${b} ${a}`)
    if (back && a < b) console.log(`folders ${a}↔${b}: ${there}; ${back}`)
  }
}

const cycles = found.length
console.log(
  cycles === 0
    ? `no import cycles among ${graph.size} files in src/`
    : `${cycles} import cycle(s) among ${graph.size} files in src/, ${atRuntime.length} at run time (⇢ marks a type-only import)`,
)
process.exit(cycles === 0 ? 0 : 1)
