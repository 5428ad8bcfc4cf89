/** Shared by every admin route module: the dependencies they take and the auth step they run first. */
import type { AdminPrincipal, AdminSessionLookup } from '../http/admin-auth.ts'
import { authenticateAdmin } from '../http/admin-auth.ts'
import type { AppDeps } from '../http/context.ts'

export interface AdminRouteDeps extends AppDeps {
  adminSession?: AdminSessionLookup
}

export async function adminPrincipal(
  deps: AdminRouteDeps,
  slug: string,
  request: Request,
): Promise<AdminPrincipal> {
  return authenticateAdmin(deps.store, slug, request, deps.adminSession)
}
