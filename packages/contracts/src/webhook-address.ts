// The SSRF guard of webhooks, shared by the API (when a URL is saved) and the runner (at every
// delivery): a receiver must be a public address. Loopback, private (RFC 1918, CGNAT, fc00::/7),
// link-local, unspecified, multicast and reserved addresses are refused, also when written as an
// IPv4 address inside IPv6 (::ffff:a.b.c.d, NAT64, 6to4), unless private networks are allowed.
import { lookup as dnsLookup } from 'node:dns/promises'
import { isIPv4, isIPv6 } from 'node:net'

export type AddressClass = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved'

const V4_RANGES: Array<[string, number, AddressClass]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

function v4ToInt(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function classifyV4(address: string): AddressClass | null {
  const n = v4ToInt(address)
  for (const [base, bits, kind] of V4_RANGES) {
    const size = 2 ** (32 - bits)
    const start = v4ToInt(base)
    if (n >= start && n < start + size) return kind
  }
  return null
}

/** The 8 groups of an IPv6 address (any valid spelling, a trailing dotted quad included). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0] ?? ''
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted?.[1]) {
    const n = v4ToInt(dotted[1])
    text = `${text.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}

const groupsToV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`

function classifyV6(address: string): AddressClass | null {
  const g = v6Groups(address)
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeroUpTo(8)) return 'unspecified'
  if (zeroUpTo(7) && g7 === 1) return 'loopback'
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address is what is reached.
  if (zeroUpTo(5) && (g5 === 0xffff || g5 === 0)) return classifyV4(groupsToV4(g6, g7)) ?? (g5 === 0 ? 'reserved' : null)
  // NAT64 (64:ff9b::/96) carries an IPv4 address too; its local-use prefix 64:ff9b:1::/48 is private.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(groupsToV4(g6, g7))
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private'
  // 6to4 (2002::/16): bits 16-48 are an IPv4 address.
  if (g0 === 0x2002) return classifyV4(groupsToV4(g1, g2))
  if ((g0 & 0xfe00) === 0xfc00) return 'private'
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'
  if ((g0 & 0xffc0) === 0xfec0) return 'private'
  if ((g0 & 0xff00) === 0xff00) return 'multicast'
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'
  return null
}

/** What kind of non-public address this is, or null for a public one (and for anything not an IP). */
export function classifyAddress(address: string): AddressClass | null {
  if (isIPv4(address)) return classifyV4(address)
  if (isIPv6(address)) return classifyV6(address)
  return null
}

export interface ResolvedAddress {
  address: string
  family: 4 | 6
}

export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>

/** Every address the system resolver gives for the host (an IP literal resolves to itself). */
export const systemLookup: HostLookup = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true })
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))
}

export type WebhookTargetCheck = { ok: true; addresses: ResolvedAddress[] } | { ok: false; reason: string }

/** A URL's host without the brackets of an IPv6 literal. */
export function urlHostname(url: URL): string {
  return url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname
}

/**
 * Resolves the URL's host once and checks every address it resolves to: one non-public address
 * refuses the whole host (a name that also points inward is not a public receiver). The caller
 * connects to exactly the addresses returned here, never resolving again.
 */
export async function checkWebhookTarget(url: URL, options: { allowPrivateNetworks: boolean; lookup?: HostLookup }): Promise<WebhookTargetCheck> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `${url.protocol} URLs are not allowed; use http or https` }
  const host = urlHostname(url)
  let addresses: ResolvedAddress[]
  try {
    addresses = await (options.lookup ?? systemLookup)(host)
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'lookup failed'
    return { ok: false, reason: `the host ${host} does not resolve (${code})` }
  }
  if (addresses.length === 0) return { ok: false, reason: `the host ${host} does not resolve to any address` }
  if (!options.allowPrivateNetworks) {
    for (const { address } of addresses) {
      const kind = classifyAddress(address)
      if (kind !== null) {
        const via = address === host ? '' : ` resolves to ${address}, which`
        return {
          ok: false,
          reason: `the host ${host}${via} is a ${kind} address; webhooks may only reach public addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows private networks)`,
        }
      }
    }
  }
  return { ok: true, addresses }
}
