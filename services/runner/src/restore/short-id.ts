// A restore's short id: the first 12 hex digits of its uuid. It names everything a restore leaves
// behind while it runs (staging databases, staging directories), so leftovers of a crashed attempt
// are recognisable and cleaned by the next attempt, whatever the driver.

export function restoreShortId(restoreId: string): string {
  return restoreId.replace(/-/g, '').slice(0, 12)
}
