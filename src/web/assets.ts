/**
 * The console's static files, embedded in the executable as text (Bun inlines `type: 'text'`
 * imports at build time) and served under `{orgURL}/admin/assets/…`. URLs carry a content hash so
 * browsers may cache them for long and still never run a stale script after an upgrade.
 */
import { Elysia, t } from 'elysia'
import consoleCss from './assets/console.css' with { type: 'text' }
import consoleJs from './assets/console.js' with { type: 'text' }

interface Asset {
  body: string
  type: string
  version: string
}

function asset(body: string, type: string): Asset {
  const version = new Bun.CryptoHasher('sha256').update(body).digest('hex').slice(0, 12)
  return { body, type, version }
}

const ASSETS: Record<string, Asset> = {
  'console.css': asset(consoleCss, 'text/css; charset=utf-8'),
  'console.js': asset(consoleJs, 'text/javascript; charset=utf-8'),
}

/** `{basePath}/admin/assets/{name}?v={hash}` for a page to reference. */
export function assetUrl(basePath: string, name: keyof typeof ASSETS & string): string {
  return `${basePath}/admin/assets/${name}?v=${ASSETS[name]?.version ?? ''}`
}

export function assetRoutes() {
  return new Elysia({ prefix: '/orgs/:slug/admin/assets', normalize: false }).get(
    '/:name',
    ({ params }) => {
      const found = Object.hasOwn(ASSETS, params.name) ? ASSETS[params.name] : undefined
      if (!found) return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } })
      return new Response(found.body, {
        headers: {
          'content-type': found.type,
          'cache-control': 'public, max-age=86400',
          'x-content-type-options': 'nosniff',
        },
      })
    },
    {
      params: t.Object({ slug: t.String(), name: t.String() }),
      detail: {
        tags: ['Console'],
        summary: "The console's embedded stylesheet and script",
        security: [],
        responses: {
          200: { description: 'The asset (text/css or text/javascript)' },
          404: { description: 'No such asset (text/plain)' },
        },
      },
    },
  )
}
