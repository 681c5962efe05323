// Failpoints, for fault tests only: RUNNER_FAILPOINT=<site>:<step> (read by packages/config) makes
// this process kill itself with SIGKILL when the code reaches that step: a real kill at a chosen
// spot, with no shutdown path, no finally blocks and no flushed buffers, exactly like kill -9.
// Unset (always in production), every failpoint is a no-op.

/** The places that can be killed at, each with numbered steps (see docs/restore-semantics.md). */
export type FailpointSite = 'files.switch'

export type Failpoint = (site: FailpointSite, step: number) => void

export const noFailpoint: Failpoint = () => {}

export function failpointFrom(spec: string | undefined): Failpoint {
  if (!spec) return noFailpoint
  const at = spec.lastIndexOf(':')
  const site = spec.slice(0, at)
  const step = Number(spec.slice(at + 1))
  return (reached, reachedStep) => {
    if (reached !== site || reachedStep !== step) return
    process.kill(process.pid, 'SIGKILL')
  }
}
