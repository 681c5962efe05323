// What each role may do. Roles are ordered: viewer reads; operator also starts restores; admin
// also manages servers, destinations and plans and registers backups.
import type { Role } from '@devpilot/contracts'

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 }

export function roleAllows(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required]
}
