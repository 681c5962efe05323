// The one Tap-like type of the test kit: what the kit needs of a tap test (`t`, or a subtest) to
// clean up after itself. Every kit function that creates something takes it.
export interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * A Teardown whose steps run last-in first-out inside one teardown of `t`: what was made last
 * (a process holding connections) is stopped before what it depends on (the database). Every step
 * runs; the first error is thrown after the last step.
 */
export function teardownStack(t: Teardown): Teardown {
  const steps: Array<() => unknown> = []
  t.teardown(async () => {
    let failure: unknown
    for (const step of steps.reverse()) {
      try {
        await step()
      } catch (error) {
        failure ??= error
      }
    }
    if (failure !== undefined) throw failure
  })
  return { teardown: (fn) => steps.push(fn) }
}
