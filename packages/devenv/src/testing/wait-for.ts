// Polls a condition instead of sleeping a fixed time: returns as soon as it holds, fails with the
// last observed value when it does not within the timeout.
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  predicate: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  let last: T
  for (;;) {
    last = await probe()
    if (predicate(last)) return last
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last value: ${JSON.stringify(last)}`)
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25))
  }
}
