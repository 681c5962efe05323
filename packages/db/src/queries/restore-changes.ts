// Following restore changes as they happen: LISTEN on the channel the restores trigger notifies
// (contracts RESTORE_CHANGED_CHANNEL). Notifications carry ids only; readers re-read the row.
import { RESTORE_CHANGED_CHANNEL, type RestoreChange, restoreChangeSchema } from '@devpilot/contracts'
import type { Db } from '../client.js'

export type RestoreChangeSubscription = ReturnType<Db['$client']['listen']>

/**
 * Calls `onChange` for every restore change in every workspace (callers filter). The returned
 * promise settles once LISTEN is in place; `unlisten()` on its value stops it.
 */
export function listenRestoreChanges(db: Db, onChange: (change: RestoreChange) => void): RestoreChangeSubscription {
  return db.$client.listen(RESTORE_CHANGED_CHANNEL, (payload) => {
    const parsed = restoreChangeSchema.safeParse(JSON.parse(payload))
    if (parsed.success) onChange(parsed.data)
  })
}
