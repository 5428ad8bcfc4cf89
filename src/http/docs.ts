/**
 * API docs served by the binary itself: `/docs/json` is the OpenAPI 3 document generated from the
 * routes' TypeBox models (by @elysiajs/openapi), `/docs` is Swagger UI whose JS and CSS come from
 * the swagger-ui-dist package embedded in the executable, so the page works with no internet access.
 * The page references no external origin and runs no inline script (its security headers are the
 * `docs` kind of src/pages/headers.ts).
 */
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import swaggerCssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
import swaggerBundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { pageHeaders } from '../pages/headers.ts'

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>okta-bridge API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>`

const INIT = `window.ui = SwaggerUIBundle({ url: '/docs/json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout', validatorUrl: null });`

export function docsRoutes(version: string) {
  const asset = (path: string, type: string) => () =>
    new Response(Bun.file(path), {
      headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
    })
  return new Elysia()
    .use(
      openapi({
        path: '/docs',
        specPath: '/docs/json',
        provider: null,
        documentation: {
          info: {
            title: 'okta-bridge',
            version,
            description:
              'SCIM 2.0 provisioning, SAML 2.0 sign-in and the admin API of okta-bridge. ' +
              'Admin routes take `Authorization: Bearer <api key>` (create one with `okta-bridge api-key create`). ' +
              'SCIM routes take the SCIM token shown once at integration set-up.',
          },
          tags: [
            { name: 'Integration', description: 'Set up the Okta integration of an org' },
            { name: 'Directory', description: 'Users, groups, role mappings, duplicates' },
            { name: 'Sync', description: 'Sync scheduler state and the change feed' },
            { name: 'Access', description: 'Admin API keys and admins: list, create, revoke' },
            { name: 'SCIM', description: 'SCIM 2.0 service provider for Okta / Entra ID (RFC 7643/7644)' },
            { name: 'SAML', description: 'SAML 2.0 single sign-on' },
            { name: 'Account', description: 'The signed-in person' },
            {
              name: 'Console',
              description: 'Server-rendered admin pages and their form posts (HTML; admin session cookie)',
            },
            { name: 'Operations', description: 'Health, readiness and metrics' },
          ],
          components: {
            securitySchemes: {
              apiKey: { type: 'http', scheme: 'bearer', description: 'Admin API key (okb_key_…)' },
              scimToken: { type: 'http', scheme: 'bearer', description: 'SCIM token of an org (okb_scim_…)' },
              metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN of the server' },
              session: {
                type: 'apiKey',
                in: 'cookie',
                name: 'okb_session',
                description: 'Browser session (on an https org URL: `__Host-okb_session_<orgId>`)',
              },
              adminSession: {
                type: 'apiKey',
                in: 'cookie',
                name: 'okb_admin',
                description:
                  'Admin console session from {orgURL}/admin/login (on an https org URL: `__Host-okb_admin_<orgId>`)',
              },
            },
          },
          security: [{ apiKey: [] }],
        },
        // staticFile: false, or every path with a dot (status.json) would be left out.
        exclude: { paths: [/^\/docs/], staticFile: false },
      }),
    )
    .get('/docs', () => new Response(PAGE, { headers: pageHeaders('docs') }), { detail: { hide: true } })
    .get('/docs/assets/swagger-ui-bundle.js', asset(swaggerBundlePath, 'text/javascript; charset=utf-8'), {
      detail: { hide: true },
    })
    .get('/docs/assets/swagger-ui.css', asset(swaggerCssPath, 'text/css; charset=utf-8'), {
      detail: { hide: true },
    })
    .get(
      '/docs/assets/init.js',
      () => new Response(INIT, { headers: { 'content-type': 'text/javascript; charset=utf-8' } }),
      { detail: { hide: true } },
    )
}
