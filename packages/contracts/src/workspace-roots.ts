// Filesystem roots are shared by every workspace, so each workspace gets its own folder under each
// root: `<root>/<workspace slug>`. Local destinations and file-restore targets of a workspace must
// lie inside its folders, so no token can read another workspace's artifacts or write into another
// workspace's restored files. Enforced by the API (requests) and again by the runner (records).
import { join } from 'node:path'

const SAFE_SLUG = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/

/** The workspace's folders under the configured roots; none for a slug that is unsafe as a path segment. */
export function workspaceRoots(roots: readonly string[], workspaceSlug: string): string[] {
  if (!SAFE_SLUG.test(workspaceSlug)) return []
  return roots.map((root) => join(root, workspaceSlug))
}
