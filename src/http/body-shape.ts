/**
 * Streaming checks of a request body's shape, fed chunk by chunk while the body arrives, so a
 * hostile body is refused before anything parses it. What a body costs to parse, validate and
 * describe in an error grows with its nesting and its number of values, not with its bytes alone:
 * a 60 KB `[[[[…]]]]` once cost 7 s and 2.5 GB in a validation message, and a form with 80,000
 * fields costs ~70 ms to turn into an object. The scanners look only at structural ASCII bytes;
 * UTF-8 multi-byte sequences are all ≥ 0x80, so they never look like quotes, brackets or separators.
 * Each scanner returns the first limit a chunk crossed, or null; it keeps its state across chunks.
 */

export interface ShapeViolation {
  kind: 'depth' | 'values' | 'members' | 'fields'
  limit: number
}

export type ShapeScanner = (chunk: Uint8Array) => ShapeViolation | null

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const OPEN_OBJECT = 0x7b
const CLOSE_ARRAY = 0x5d
const CLOSE_OBJECT = 0x7d
const COMMA = 0x2c
const AMPERSAND = 0x26
const LINE_FEED = 0x0a
const DASH = 0x2d

/**
 * JSON nesting depth, value count, and members of any one object. Values are counted as containers
 * opened plus separators seen, which is at least the number of array items and object members.
 * Members per object are bounded apart from values: long arrays are legitimate (a group's members),
 * an object with tens of thousands of keys never is, and each key costs a parser and a resource
 * mapper far more than an array item does. It does not check that the text is JSON: the parser
 * after it does, on input already known to be cheap.
 */
export function jsonShapeScanner(limits: {
  maxDepth: number
  maxValues: number
  maxObjectMembers: number
}): ShapeScanner {
  let depth = 0
  let values = 0
  let inString = false
  let escaped = false
  // Per open container (index = depth): is it an object, and how many members it has had.
  const isObject: boolean[] = [false]
  const members: number[] = [0]
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number
      if (inString) {
        if (escaped) escaped = false
        else if (byte === BACKSLASH) escaped = true
        else if (byte === QUOTE) inString = false
        continue
      }
      if (byte === QUOTE) inString = true
      else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        depth++
        values++
        if (depth > limits.maxDepth) return { kind: 'depth', limit: limits.maxDepth }
        if (values > limits.maxValues) return { kind: 'values', limit: limits.maxValues }
        isObject[depth] = byte === OPEN_OBJECT
        members[depth] = 1
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        if (depth > 0) depth--
      } else if (byte === COMMA) {
        values++
        if (values > limits.maxValues) return { kind: 'values', limit: limits.maxValues }
        if (isObject[depth]) {
          const count = (members[depth] as number) + 1
          members[depth] = count
          if (count > limits.maxObjectMembers) return { kind: 'members', limit: limits.maxObjectMembers }
        }
      }
    }
    return null
  }
}

/** Fields of an `application/x-www-form-urlencoded` body: one more than its `&` separators. */
export function formFieldScanner(maxFields: number): ShapeScanner {
  let fields = 1
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === AMPERSAND && ++fields > maxFields) return { kind: 'fields', limit: maxFields }
    }
    return null
  }
}

/**
 * Parts of a `multipart/form-data` body, counted by the line-feed-dash-dash that starts every
 * delimiter line. Part content with the same bytes counts too, which only errs towards refusing:
 * the console's forms have no file uploads.
 */
export function multipartPartScanner(maxParts: number): ShapeScanner {
  let parts = 0
  let matched = 0
  return (chunk) => {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]
      if (byte === LINE_FEED) matched = 1
      else if (byte === DASH && matched > 0) {
        if (++matched === 3) {
          matched = 0
          if (++parts > maxParts) return { kind: 'fields', limit: maxParts }
        }
      } else matched = 0
    }
    return null
  }
}
