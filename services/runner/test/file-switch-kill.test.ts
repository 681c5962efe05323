// A runner process SIGKILLed at every step of a file restore's switch (RUNNER_FAILPOINT
// files.switch:<k>, a real kill at a chosen spot), then a second runner: the target ends exactly
// the old tree or exactly the new one (complete tree descriptions), the record says which
// (completed when new; runner_lost "not changed" when old, or retried and completed), and nothing
// stays beside the target. Three groups run side by side, each in its own product database:
// overwrite on into an existing target with the last attempt lost (the sweeper recovers), the same
// with an attempt left (a take-over recovers), and a target that did not exist. `pnpm faults`
// (FAULT_SCALE=full) runs the size the issue measured: a 6,012-file old target, 3 kills per step.
import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { atFaultScale, describeTree, makeTar, scratchDir, spawnService, waitFor } from '@devpilot/devenv/testing'
import t from 'tap'
import { createHarness, type RestoreRow } from './harness.js'

/** The steps of the switch (services/runner/src/restore/file-switch.ts and files.ts). */
const STEPS: Record<number, string> = {
  1: 'staging complete, before the journal',
  2: 'journal written under its temporary name',
  3: 'journal in place (the commit point)',
  4: 'target renamed aside',
  5: 'staging renamed onto the target',
  6: 'old tree removed, before the record',
  7: 'recorded completed, before the journal is removed',
  8: 'journal removed',
}

/** Files the archive does not touch, 20 a directory: 307 files in all in CI, 6,012 at full scale. */
const KEPT_FILES = atFaultScale({ ci: 200, full: 5905 })
/** Kills at each step (one runner each). */
const ROUNDS = atFaultScale({ ci: 1, full: 3 })
/** How long the dying runners and the recovery may take. */
const DEADLINE_MS = atFaultScale({ ci: 75_000, full: 900_000 })

/** An old target: a few hundred (or thousand) files, some the archive replaces, most it does not touch. */
function buildOldTree(root: string): void {
  for (let i = 0; i < KEPT_FILES; i++) {
    const [d, f] = [Math.floor(i / 20), i % 20]
    if (f === 0) mkdirSync(join(root, 'keep', `d${d}`), { recursive: true })
    writeFileSync(join(root, 'keep', `d${d}`, `f${f}.txt`), `kept ${d}/${f}\n`)
  }
  mkdirSync(join(root, 'data'))
  for (let f = 0; f < 100; f++) writeFileSync(join(root, 'data', `f${f}.bin`), `old data ${f}\n`)
  mkdirSync(join(root, 'conf'))
  writeFileSync(join(root, 'conf', 'app.conf'), 'old app\n', { mode: 0o600 })
  writeFileSync(join(root, 'conf', 'local.conf'), 'local only\n')
  mkdirSync(join(root, 'empty-old'))
  symlinkSync('keep/d0/f0.txt', join(root, 'link-old'))
  mkdirSync(join(root, 'was-dir'))
  for (let f = 0; f < 3; f++) writeFileSync(join(root, 'was-dir', `x${f}`), `under a dir the archive replaces ${f}\n`)
  writeFileSync(join(root, 'was-file'), 'a file the archive replaces with a directory\n')
  mkdirSync(join(root, 'read-only'))
  writeFileSync(join(root, 'read-only', 'r.txt'), 'in a read-only directory\n')
  chmodSync(join(root, 'read-only'), 0o555)
}

/** The archive: replaces 40 data files and a config, changes two types, adds 60 files and a link. */
function buildArchiveSource(root: string): void {
  mkdirSync(join(root, 'data'), { mode: 0o750 })
  chmodSync(join(root, 'data'), 0o750)
  for (let f = 0; f < 40; f++) writeFileSync(join(root, 'data', `f${f}.bin`), `new data ${f}\n`)
  mkdirSync(join(root, 'conf'))
  writeFileSync(join(root, 'conf', 'app.conf'), 'new app\n')
  chmodSync(join(root, 'conf', 'app.conf'), 0o640)
  mkdirSync(join(root, 'added'))
  for (let f = 0; f < 60; f++) writeFileSync(join(root, 'added', `n${f}.txt`), `added ${f}\n`)
  writeFileSync(join(root, 'was-dir'), 'now a file\n')
  mkdirSync(join(root, 'was-file'))
  writeFileSync(join(root, 'was-file', 'a.txt'), 'now a directory\n')
  symlinkSync('added/n0.txt', join(root, 'link-new'))
}

/**
 * The documented overwrite-on result, computed from the two descriptions alone: an archive member
 * replaces what the target has at its path (with everything under it), except that a directory
 * merges into a directory (taking the archive's mode); everything else of the target stays.
 */
function overwriteOn(old: Record<string, string>, archive: Record<string, string>): Record<string, string> {
  const out = { ...old }
  for (const [path, entry] of Object.entries(archive)) {
    const before = out[path]
    if (!(before?.startsWith('dir ') && entry.startsWith('dir '))) {
      for (const p of Object.keys(out)) if (p.startsWith(`${path}/`)) delete out[p]
    }
    out[path] = entry
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}

const scratch = scratchDir(t, 'switch-kill')
const oldSample = join(scratch, 'old')
const archiveSource = join(scratch, 'archive')
mkdirSync(oldSample)
mkdirSync(archiveSource)
buildOldTree(oldSample)
buildArchiveSource(archiveSource)
const OLD = describeTree(oldSample)
const ARCHIVE = describeTree(archiveSource)
const NEW = overwriteOn(OLD, ARCHIVE)

interface Group {
  name: string
  existingTarget: boolean
  maxAttempts: number
  steps: number[]
}

// Every step for the main case; the take-over and the new target at the steps where their
// recovery differs (each kill point is one runner process: they are what this file spends its time on).
const GROUPS: Group[] = [
  { name: 'existing target, last attempt', existingTarget: true, maxAttempts: 1, steps: [1, 2, 3, 4, 5, 6, 7, 8] },
  { name: 'existing target, an attempt left', existingTarget: true, maxAttempts: 2, steps: [2, 4] },
  // A new target has nothing to move aside or remove (steps 4 and 6 do not happen); 3: committed, not renamed.
  { name: 'new target, last attempt', existingTarget: false, maxAttempts: 1, steps: [3] },
]

/** One kill: a step, and which of its ROUNDS. */
interface KillPoint {
  step: number
  round: number
}
const killPoints = (group: Group): KillPoint[] => group.steps.flatMap((step) => Array.from({ length: ROUNDS }, (_, round) => ({ step, round })))
const runnerName = (p: KillPoint) => `dying-${p.step}-${p.round}`

interface Outcome {
  group: Group
  step: number
  round: number
  exitSignal: string | undefined
  row: RestoreRow
  tree: Record<string, string> | null
  siblings: string[]
  dyingOutput: string
}

/** One group: its restores, one runner per kill step (each dies in the restore it claims), then a survivor. */
const started = Date.now()
async function runGroup(group: Group): Promise<Outcome[]> {
  const h = await createHarness(t)
  const destination = await h.localDestination()
  await makeTar(archiveSource, 'tar', join(destination.path, 'archive.tar'))
  const planId = await h.filesPlan({ sourcePath: archiveSource, destinationId: destination.id })
  const backupId = await h.backup({ planId, format: 'tar', artifactKey: 'archive.tar', file: join(destination.path, 'archive.tar') })

  const points = killPoints(group)
  const targets: Array<{ id: string; parent: string; target: string }> = []
  for (let i = 0; i < points.length; i++) {
    const parent = join(h.filesRoot, `case-${i}`)
    const target = join(parent, 'target')
    mkdirSync(parent, { recursive: true })
    if (group.existingTarget) {
      mkdirSync(target)
      buildOldTree(target)
    }
    targets.push({ id: await h.restore({ backupId, planId, targetPath: target, overwrite: true }), parent, target })
  }

  // Each runner takes one restore (concurrency 1) and kills itself at its step; none of them
  // looks for lost restores meanwhile (a long lost-after), so only the survivor recovers.
  const dying = points.map((point) =>
    spawnService(
      'runner',
      h.runnerEnv({
        RUNNER_ID: runnerName(point),
        RUNNER_FAILPOINT: `files.switch:${point.step}`,
        RUNNER_CONCURRENCY: '1',
        RUNNER_LOST_AFTER_SECONDS: atFaultScale({ ci: '60', full: '900' }),
      }),
    ),
  )
  for (const d of dying) t.teardown(() => d.stop(1000))
  // A runner that never reaches its failpoint is stopped after a deadline, and fails its assertion.
  const overDeadline = new Set<number>()
  const deadline = setTimeout(() => {
    dying.forEach((d, i) => {
      if (d.child.exitCode !== null || d.child.signalCode !== null) return
      overDeadline.add(i)
      void d.stop(1000)
    })
  }, DEADLINE_MS)
  const exits = await Promise.all(dying.map((d) => d.child))
  clearTimeout(deadline)
  t.comment(`${group.name}: ${dying.length} runners killed themselves ${Math.round((Date.now() - started) / 1000)} s in`)
  const pointOf = new Map<string, number>()
  for (const { id } of targets) {
    const row = await h.row(id)
    pointOf.set(
      id,
      points.findIndex((p) => runnerName(p) === row.runner_id),
    )
  }

  await h.startRunner({ RUNNER_ID: `survivor-${group.maxAttempts}`, RUNNER_LOST_AFTER_SECONDS: '2', RUNNER_MAX_ATTEMPTS: String(group.maxAttempts) })
  return Promise.all(
    targets.map(async ({ id, parent, target }) => {
      const index = pointOf.get(id) ?? -1
      const { step, round } = points[index] ?? { step: 0, round: 0 }
      const row = await h.waitTerminal(id, DEADLINE_MS)
      // A kill between the record and the journal's removal is tidied when pg-boss hands the dead runner's job out again.
      const expectedSiblings = row.status === 'completed' || group.existingTarget ? ['target'] : []
      const siblings = await waitFor(
        () => readdirSync(parent),
        (names) => names.length === expectedSiblings.length,
        { timeoutMs: DEADLINE_MS, what: `the leftovers beside ${target} to go` },
      ).catch(() => readdirSync(parent))
      return {
        group,
        step,
        round,
        exitSignal: overDeadline.has(index) ? 'stopped at the deadline' : exits[index]?.signal,
        row,
        tree: siblings.includes('target') ? describeTree(target) : null,
        siblings,
        dyingOutput: dying[index]?.output().slice(-3000) ?? '',
      }
    }),
  )
}

const outcomes = (await Promise.all(GROUPS.map(runGroup))).flat()
t.comment(`${outcomes.length} kill points in ${Math.round((Date.now() - started) / 1000)} s`)

for (const group of GROUPS) {
  for (const { step, round } of killPoints(group)) {
    const outcome = outcomes.find((o) => o.group === group && o.step === step && o.round === round)
    const nth = ROUNDS > 1 ? ` (kill ${round + 1} of ${ROUNDS})` : ''
    t.test(
      `${group.name}: killed at step ${step} (${STEPS[step]})${nth}, the target ends old or new, the record says which, nothing stays beside it`,
      async (t) => {
        if (!outcome) {
          t.fail(`no restore died at step ${step}`)
          return
        }
        const { row, tree, siblings } = outcome
        t.equal(outcome.exitSignal, 'SIGKILL', `the runner killed itself at the failpoint\n${outcome.dyingOutput}`)
        const committed = step >= 3
        if (committed || group.maxAttempts > 1) {
          t.equal(row.status, 'completed', `recorded completed (${row.error_code ?? ''} ${row.error_message ?? ''})`)
          t.same(tree, group.existingTarget ? NEW : ARCHIVE, 'the target is exactly the new tree')
          if (group.maxAttempts > 1) t.equal(row.attempt, step >= 7 ? 1 : 2, step >= 7 ? 'the killed attempt had recorded it' : 'the next attempt finished it')
        } else {
          t.equal(row.status, 'failed', 'recorded failed')
          t.equal(row.error_code, 'runner_lost')
          t.match(row.error_message, /the target was not changed/)
          t.same(tree, group.existingTarget ? OLD : null, group.existingTarget ? 'the target is exactly the old tree' : 'no target was created')
        }
        t.same(siblings, tree === null ? [] : ['target'], 'nothing but the target is left in its directory')
      },
    )
  }
}
