// Changing a target server. A stored password only ever goes to the server it was given for:
// moving the connection (host, port, username, sslmode) needs the password again, or an admin who
// never knew it could point the server at a host of their own and have the runner send it there.
import type { Server, UpdateServer } from '@devpilot/contracts'
import { getServer, updateServer } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { fieldError } from '../field-error.js'
import { found } from '../not-found.js'

const CONNECTION_FIELDS = ['host', 'port', 'username', 'sslmode'] as const

export async function updateServerChecked(deps: AppDeps, workspaceId: string, id: string, patch: UpdateServer): Promise<Server> {
  const { db } = deps.database
  const current = found(await getServer(db, { workspaceId, id }), 'server')
  const moved = CONNECTION_FIELDS.filter((f) => patch[f] !== undefined && patch[f] !== current[f])
  if (moved.length > 0 && current.hasPassword && patch.password === undefined) {
    throw fieldError('password', `changing ${moved.join(', ')} needs the password again (or null to remove it)`)
  }
  return found(await updateServer(db, deps.box, { workspaceId, id, patch }), 'server')
}
