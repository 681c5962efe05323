// Proves PostgreSQL itself enforces the restore state machine (DESIGN.md): every illegal
// status/field combination and every illegal transition is refused by the database, whatever
// code issues the statement.
import { canTransitionRestore, RESTORE_STATUSES, type RestoreStatus } from '@devpilot/contracts'
import { createProductDatabase, seedDatabaseBackup, seedWorkspace, testSecretBox } from '@devpilot/devenv/testing'
import t from 'tap'

const db = await createProductDatabase(t)
const { box } = testSecretBox()
const ws = await seedWorkspace(db.db)
const seeded = await seedDatabaseBackup(db.db, box, { workspaceId: ws.workspaceId, destinationPath: '/tmp/nowhere' })

let targetCounter = 0
async function insertPending(): Promise<string> {
  // Each restore gets its own target so the one-active-per-target index stays out of the way.
  targetCounter++
  const [row] = await db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, triggered_by_user_id)
    VALUES (${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, ${seeded.serverId}, ${`db_${targetCounter}`}, ${ws.userId})
    RETURNING id`
  if (!row) throw new Error('insert returned nothing')
  return row.id
}

const FIELDS_FOR: Record<RestoreStatus, { started: boolean; completed: boolean; error: boolean }> = {
  pending: { started: false, completed: false, error: false },
  in_progress: { started: true, completed: false, error: false },
  completed: { started: true, completed: true, error: false },
  failed: { started: true, completed: true, error: true },
}

async function setState(id: string, status: RestoreStatus, f: { started: boolean; completed: boolean; error: boolean }) {
  await db.sql`
    UPDATE restores SET status = ${status},
      started_at = ${f.started ? db.sql`now()` : null},
      completed_at = ${f.completed ? db.sql`now()` : null},
      error_code = ${f.error ? 'restore_tool_failed' : null},
      error_message = ${f.error ? 'pg_restore exited 1' : null}
    WHERE id = ${id}`
}

/** Brings a new restore to `status` through legal steps only. */
async function restoreIn(status: RestoreStatus): Promise<string> {
  const id = await insertPending()
  if (status === 'pending') return id
  if (status === 'failed') {
    await setState(id, 'in_progress', FIELDS_FOR.in_progress)
    await setState(id, 'failed', FIELDS_FOR.failed)
    return id
  }
  await setState(id, 'in_progress', FIELDS_FOR.in_progress)
  if (status === 'completed') await setState(id, 'completed', FIELDS_FOR.completed)
  return id
}

/** The state a restore must be in for a move to `status` to be a legal transition. */
const LEGAL_PREDECESSOR: Record<RestoreStatus, RestoreStatus> = { pending: 'pending', in_progress: 'pending', completed: 'in_progress', failed: 'in_progress' }

t.test('every illegal status/timestamp/error combination is rejected by a CHECK constraint', async (t) => {
  for (const status of RESTORE_STATUSES) {
    for (const started of [false, true]) {
      for (const completed of [false, true]) {
        for (const error of [false, true]) {
          const fields = { started, completed, error }
          const legal = JSON.stringify(fields) === JSON.stringify(FIELDS_FOR[status])
          const id = await restoreIn(LEGAL_PREDECESSOR[status])
          const attempt = setState(id, status, fields)
          const label = `${status} with started=${started} completed=${completed} error=${error}`
          if (legal) await t.resolves(attempt, `${label} is accepted`)
          else await t.rejects(attempt, { code: '23514' }, `${label} is refused`)
        }
      }
    }
  }
})

t.test('only pending->in_progress, pending->failed, in_progress->completed and in_progress->failed are allowed', async (t) => {
  for (const from of RESTORE_STATUSES) {
    for (const to of RESTORE_STATUSES) {
      const id = await restoreIn(from)
      const attempt = setState(id, to, FIELDS_FOR[to])
      const allowed = canTransitionRestore(from, to) || (from === to && (from === 'pending' || from === 'in_progress'))
      if (allowed) await t.resolves(attempt, `${from} -> ${to} is allowed`)
      else await t.rejects(attempt, { code: '23514' }, `${from} -> ${to} is refused`)
    }
  }
})

t.test('a terminal restore never changes, not even its progress or message', async (t) => {
  for (const status of ['completed', 'failed'] as const) {
    const id = await restoreIn(status)
    await t.rejects(db.sql`UPDATE restores SET bytes_done = 42 WHERE id = ${id}`, { code: '23514' }, `${status}: progress frozen`)
    await t.rejects(db.sql`UPDATE restores SET error_message = 'rewritten' WHERE id = ${id}`, { code: '23514' }, `${status}: message frozen`)
  }
})

t.test('a restore must be created pending', async (t) => {
  await t.rejects(
    db.sql`INSERT INTO restores (workspace_id, backup_id, plan_id, status, started_at, completed_at, target_server_id, target_database, triggered_by_user_id)
           VALUES (${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, 'completed', now(), now(), ${seeded.serverId}, 'x', ${ws.userId})`,
    { code: '23514' },
  )
})

t.test('the request fields of a restore (target, backup, who, when) cannot be rewritten', async (t) => {
  const id = await insertPending()
  await t.rejects(db.sql`UPDATE restores SET target_database = 'elsewhere' WHERE id = ${id}`, { code: '23514' })
  await t.rejects(db.sql`UPDATE restores SET overwrite = true WHERE id = ${id}`, { code: '23514' })
  await t.rejects(db.sql`UPDATE restores SET created_at = now() - interval '1 day' WHERE id = ${id}`, { code: '23514' })
  await t.rejects(db.sql`UPDATE restores SET triggered_by_user_id = gen_random_uuid() WHERE id = ${id}`)
})

t.test('a restore targets either a server database or a path, never both or neither', async (t) => {
  const base = db.sql`${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, ${ws.userId}`
  await t.rejects(
    db.sql`INSERT INTO restores (workspace_id, backup_id, plan_id, triggered_by_user_id, target_server_id, target_database, target_path) VALUES (${base}, ${seeded.serverId}, 'a', '/x')`,
    { code: '23514' },
  )
  await t.rejects(db.sql`INSERT INTO restores (workspace_id, backup_id, plan_id, triggered_by_user_id) VALUES (${base})`, { code: '23514' })
  await t.rejects(
    db.sql`INSERT INTO restores (workspace_id, backup_id, plan_id, triggered_by_user_id, target_server_id) VALUES (${base}, ${seeded.serverId})`,
    { code: '23514' },
  )
})

t.test('a conditional claim lets exactly one of two concurrent claimants win', async (t) => {
  const id = await insertPending()
  const claim = () => db.sql`UPDATE restores SET status = 'in_progress', started_at = now() WHERE id = ${id} AND status = 'pending' RETURNING id`
  const results = await Promise.all([claim(), claim(), claim()])
  t.equal(results.filter((r) => r.length === 1).length, 1, 'one UPDATE returned the row')
})

t.test('two restores of the same target can never be in progress at once', async (t) => {
  const insert = () => db.sql<{ id: string }[]>`
    INSERT INTO restores (workspace_id, backup_id, plan_id, target_server_id, target_database, triggered_by_user_id)
    VALUES (${ws.workspaceId}, ${seeded.backupId}, ${seeded.planId}, ${seeded.serverId}, 'shared_target', ${ws.userId}) RETURNING id`
  const [[a], [b]] = await Promise.all([insert(), insert()])
  if (!a || !b) throw new Error('inserts returned nothing')
  await setState(a.id, 'in_progress', FIELDS_FOR.in_progress)
  await t.rejects(setState(b.id, 'in_progress', FIELDS_FOR.in_progress), { code: '23505' }, 'second claim violates the active-target index')
  await setState(a.id, 'completed', FIELDS_FOR.completed)
  await t.resolves(setState(b.id, 'in_progress', FIELDS_FOR.in_progress), 'claim succeeds once the first is terminal')
})

t.test('every status change is recorded in the append-only audit trail', async (t) => {
  const id = await restoreIn('failed')
  const rows = await db.sql<{ from_status: string | null; to_status: string; error_code: string | null }[]>`
    SELECT from_status, to_status, error_code FROM restore_transitions WHERE restore_id = ${id} ORDER BY id`
  t.same(
    rows.map((r) => [r.from_status, r.to_status, r.error_code]),
    [
      [null, 'pending', null],
      ['pending', 'in_progress', null],
      ['in_progress', 'failed', 'restore_tool_failed'],
    ],
  )
  await t.rejects(db.sql`DELETE FROM restore_transitions WHERE restore_id = ${id}`, { code: '23514' })
  await t.rejects(db.sql`UPDATE restore_transitions SET to_status = 'completed' WHERE restore_id = ${id}`, { code: '23514' })
})
