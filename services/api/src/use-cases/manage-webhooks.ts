// Creating and changing webhooks. A URL is accepted only when its host resolves to public
// addresses (the SSRF guard of packages/contracts, unless WEBHOOK_ALLOW_PRIVATE_NETWORKS), and the
// runner checks again at every delivery, since DNS answers change. The signing secret is generated
// here and returned once, in the creation answer; it is stored encrypted and never read back.
import { AppError, type CreateWebhook, checkWebhookTarget, generateWebhookSecret, type UpdateWebhook, type Webhook } from '@devpilot/contracts'
import { createWebhook, getWebhook, updateWebhook } from '@devpilot/db'
import type { AppDeps } from '../deps.js'
import { found } from '../not-found.js'

function urlRefused(reason: string): AppError {
  return new AppError('validation_failed', `url: ${reason}.`, { status: 400, details: { errors: [{ path: 'body.url', message: reason }] } })
}

/** Refuses a receiver URL that carries credentials or whose host is not a public address. */
export async function assertReceiverUrl(deps: AppDeps, raw: string): Promise<void> {
  const url = new URL(raw)
  if (url.username !== '' || url.password !== '') {
    throw urlRefused('credentials in the URL are not allowed (they would be shown in every answer); receivers authenticate deliveries by their signature')
  }
  const check = await checkWebhookTarget(url, { allowPrivateNetworks: deps.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS ?? false })
  if (!check.ok) throw urlRefused(check.reason)
}

export async function createWebhookChecked(deps: AppDeps, workspaceId: string, input: CreateWebhook): Promise<Webhook & { secret: string }> {
  await assertReceiverUrl(deps, input.url)
  const secret = generateWebhookSecret()
  const webhook = await createWebhook(deps.database.db, deps.box, { workspaceId, input, secret })
  return { ...webhook, secret }
}

export async function updateWebhookChecked(deps: AppDeps, workspaceId: string, id: string, patch: UpdateWebhook): Promise<Webhook> {
  const { db } = deps.database
  found(await getWebhook(db, { workspaceId, id }), 'webhook')
  if (patch.url !== undefined) await assertReceiverUrl(deps, patch.url)
  return found(await updateWebhook(db, { workspaceId, id, patch }), 'webhook')
}
