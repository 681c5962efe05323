// A well-formed request whose field refers to something unusable (another workspace's or a
// deleted server, a format that does not fit the plan...): 422 validation_failed naming the field.
import { AppError } from '@devpilot/contracts'

export function fieldError(field: string, message: string, detail?: string): AppError {
  return new AppError('validation_failed', detail ?? `${field}: ${message}.`, { status: 422, details: { errors: [{ path: `body.${field}`, message }] } })
}
