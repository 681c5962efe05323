// Commit times and WAL positions as exact, comparable values. A JS Date has milliseconds and two
// transactions can commit within one, so times are microseconds since the epoch as BigInt.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/

/** Parses an ISO-8601 or PostgreSQL timestamptz text (`2026-11-24 17:41:55.915345+00`) to epoch microseconds. */
export function toMicros(value: string): bigint {
  const m = TIMESTAMP.exec(value)
  if (!m) throw new Error(`not a timestamp with zone: ${value}`)
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m
  const millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
  }
  return BigInt(millis) * 1000n + BigInt(frac.padEnd(6, '0')) - BigInt(offsetMinutes) * 60_000_000n
}

/** Epoch microseconds as ISO-8601 UTC with all six fractional digits. */
export function microsToIso(micros: bigint): string {
  const millis = micros / 1000n
  const base = new Date(Number(millis)).toISOString().slice(0, 19)
  const fraction = (((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, '0')
  return `${base}.${fraction}Z`
}

/** pg_lsn text (`0/1924858`) as a comparable BigInt. */
export function lsnToBigInt(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn)
  if (!m?.[1] || !m[2]) throw new Error(`not an LSN: ${lsn}`)
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}
