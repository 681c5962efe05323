// Absent rows, including other workspaces' rows, answer 404 `not_found` with the same wording,
// so a caller cannot tell "exists elsewhere" from "does not exist".
import { AppError } from '@devpilot/contracts'

export function found<T>(value: T | null, what: string): T {
  if (value === null) throw new AppError('not_found', `No ${what} with this id in your workspace.`)
  return value
}
