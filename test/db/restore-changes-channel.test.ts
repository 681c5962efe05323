// The restores trigger (a migration, plain SQL) and the listeners (TypeScript) must agree on the
// notification channel; the name is written once in contracts, and this holds the migration to it.
import { readFileSync } from 'node:fs'
import { RESTORE_CHANGED_CHANNEL } from '@devpilot/contracts'
import t from 'tap'

t.test('the restores trigger notifies on the channel the API listens on', async (t) => {
  const migration = readFileSync(new URL('../../migrations/0001_restore_state_machine.sql', import.meta.url), 'utf8')
  t.match(migration, `PERFORM pg_notify('${RESTORE_CHANGED_CHANNEL}',`)
})
