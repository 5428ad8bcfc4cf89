/**
 * The streaming shape scanners count only structure: brackets and separators inside strings (and
 * escaped quotes) are not structure, and a body split anywhere across chunks counts the same as
 * in one piece — a client chooses where its chunks end.
 */
import { describe, expect, test } from 'bun:test'
import {
  formFieldScanner,
  jsonShapeScanner,
  multipartPartScanner,
  type ShapeScanner,
} from '../../src/http/body-shape.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

/** Feeds the text in pieces of `size` bytes; the first violation, or null. */
function feed(scanner: ShapeScanner, text: string, size = Number.POSITIVE_INFINITY) {
  const all = bytes(text)
  const step = Math.min(size, all.length || 1)
  for (let i = 0; i < all.length; i += step) {
    const violation = scanner(all.subarray(i, i + step))
    if (violation) return violation
  }
  return null
}

describe('JSON depth and values', () => {
  const limits = { maxDepth: 4, maxValues: 10, maxObjectMembers: 100 }

  test('a body at the depth limit passes, one level more is refused, in any chunking', () => {
    for (const size of [1, 2, 3, 7, Number.POSITIVE_INFINITY]) {
      expect(feed(jsonShapeScanner(limits), '[[[[1]]]]', size)).toBeNull()
      expect(feed(jsonShapeScanner(limits), '[[[[[1]]]]]', size)).toEqual({ kind: 'depth', limit: 4 })
      expect(feed(jsonShapeScanner(limits), '{"a":{"b":[{"c":{"d":1}}]}}', size)).toEqual({
        kind: 'depth',
        limit: 4,
      })
    }
  })

  test('brackets, commas and escaped quotes inside strings are not structure', () => {
    const tricky = JSON.stringify({ a: '[[[[[[{{{{,,,,,,,,,,,,', b: 'say \\"[[[[[[" and \\\\', c: ['x'] })
    expect(JSON.parse(tricky)).toBeTruthy()
    for (const size of [1, 2, 5, Number.POSITIVE_INFINITY]) {
      expect(feed(jsonShapeScanner(limits), tricky, size)).toBeNull()
    }
  })

  test('closing brackets bring the depth back down: siblings are not nesting', () => {
    const siblings = `[${Array(3).fill('[[[1]]]').join(',')}]`
    expect(
      feed(jsonShapeScanner({ maxDepth: 4, maxValues: 100, maxObjectMembers: 100 }), siblings),
    ).toBeNull()
  })

  test('values are array items plus object members, counted across chunks', () => {
    expect(feed(jsonShapeScanner(limits), '[1,2,3,4,5,6,7,8,9,10]', 2)).toBeNull()
    expect(
      feed(jsonShapeScanner(limits), '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}'),
    ).toBeNull()
    expect(feed(jsonShapeScanner(limits), '[1,2,3,4,5,6,7,8,9,10,11]', 2)).toEqual({
      kind: 'values',
      limit: 10,
    })
    expect(
      feed(jsonShapeScanner(limits), '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11}'),
    ).toEqual({
      kind: 'values',
      limit: 10,
    })
  })

  test('members are counted per object: long arrays of small objects pass, one wide object does not', () => {
    const scanner = () => jsonShapeScanner({ maxDepth: 8, maxValues: 1_000_000, maxObjectMembers: 3 })
    const members = JSON.stringify({
      members: Array.from({ length: 500 }, (_, i) => ({ value: `u${i}`, display: 'U' })),
    })
    expect(feed(scanner(), members, 7)).toBeNull()
    expect(feed(scanner(), '{"a":1,"b":{"c":1,"d":2,"e":3},"f":2}', 2)).toBeNull()
    expect(feed(scanner(), '{"a":1,"b":{"c":1},"f":2,"g":3}', 2)).toEqual({ kind: 'members', limit: 3 })
    expect(feed(scanner(), '[{"a":1,"b":2,"c":3,"d":4}]')).toEqual({ kind: 'members', limit: 3 })
  })

  test('multi-byte UTF-8 never looks like structure', () => {
    const text = JSON.stringify({ name: '「括弧」 [ünïcödé] ❴❵ 🎉'.repeat(50) })
    expect(feed(jsonShapeScanner(limits), text, 3)).toBeNull()
  })
})

describe('form fields', () => {
  test('urlencoded fields are counted by their separators', () => {
    expect(feed(formFieldScanner(3), 'a=1&b=2&c=3', 1)).toBeNull()
    expect(feed(formFieldScanner(3), 'a=1&b=2&c=3&d=4', 1)).toEqual({ kind: 'fields', limit: 3 })
    // An encoded ampersand is data, not a separator.
    expect(feed(formFieldScanner(1), `SAMLResponse=${encodeURIComponent('a&b&c')}`)).toBeNull()
  })

  test('multipart parts are counted by their delimiter lines, split anywhere', () => {
    const form = new FormData()
    for (let i = 0; i < 5; i++) form.append(`f${i}`, `value ${i}`)
    const body = new Response(form)
    return body.text().then((text) => {
      for (const size of [1, 2, 3, Number.POSITIVE_INFINITY]) {
        expect(feed(multipartPartScanner(5), text, size)).toBeNull()
        expect(feed(multipartPartScanner(4), text, size)).toEqual({ kind: 'fields', limit: 4 })
      }
    })
  })
})
