// Small helpers over the typed API client: unwrap a result or fail loudly, register a backup,
// and run one restore from the API's accept to its terminal status (polled every 50 ms).
import type { ApiClient, Schemas } from '@devpilot/api-client'
import { isoMicros } from './stats.js'

export function must<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what} failed (${result.response.status}): ${JSON.stringify(result.error)}`)
  return result.data
}

export type RestoreTarget = { targetDatabase?: string; targetPath?: string; overwrite?: boolean; dryRun?: boolean }

export interface RestoreRun {
  id: string
  status: string
  /** Client side: POST sent → terminal status observed (includes up to one poll interval). */
  wallMs: number
  /** Database timestamps: accepted (created) → in_progress (started), and accepted → terminal. */
  pickupMs: number
  acceptedToDoneMs: number
  restore: Schemas['Restore']
}

export async function registerBackup(
  api: ApiClient,
  body: { planId: string; format: Schemas['Backup']['format']; artifactKey: string; sizeBytes: number; sha256: string },
): Promise<string> {
  return must(await api.POST('/v1/backups', { body: { ...body, status: 'completed' } }), 'register backup').id
}

export async function restoreAndWait(
  api: ApiClient,
  backupId: string,
  target: RestoreTarget,
  options: { pollMs?: number; timeoutMs?: number } = {},
): Promise<RestoreRun> {
  const pollMs = options.pollMs ?? 50
  const deadline = Date.now() + (options.timeoutMs ?? 300_000)
  const started = performance.now()
  const accepted = must(await api.POST('/v1/backups/{id}/restores', { params: { path: { id: backupId } }, body: target }), 'start restore')
  let restore: Schemas['Restore'] = accepted
  while (restore.status === 'pending' || restore.status === 'in_progress') {
    if (Date.now() > deadline) throw new Error(`restore ${accepted.id} still ${restore.status} after ${options.timeoutMs ?? 300_000} ms`)
    await new Promise((r) => setTimeout(r, pollMs))
    restore = must(await api.GET('/v1/restores/{id}', { params: { path: { id: accepted.id } } }), 'get restore')
  }
  const wallMs = performance.now() - started
  if (restore.status !== 'completed') throw new Error(`restore ${restore.id} ${restore.status}: ${restore.error?.code} — ${restore.error?.message}`)
  const created = isoMicros(restore.createdAt)
  return {
    id: restore.id,
    status: restore.status,
    wallMs,
    pickupMs: restore.startedAt ? (isoMicros(restore.startedAt) - created) / 1000 : Number.NaN,
    acceptedToDoneMs: restore.completedAt ? (isoMicros(restore.completedAt) - created) / 1000 : Number.NaN,
    restore,
  }
}
