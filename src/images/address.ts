// The SSRF address guard: parses every spelling of an IP address a URL or a
// resolver can hand us and says whether the image fetcher may connect to it.
// Pure functions, so the same check runs on URL literals before a request and
// on resolved addresses inside the connect-time lookup (no rebinding window).
import net from 'node:net'

export type AddressVerdict =
  | { allowed: true }
  | { allowed: false, reason: string }

/** A parsed address: IPv4 as 4 bytes, IPv6 as 16. */
export interface ParsedAddress {
  family: 4 | 6
  bytes: Uint8Array
}

export interface Cidr {
  family: 4 | 6
  bytes: Uint8Array
  prefix: number
}

function v4 (a: number, b: number, c: number, d: number): Uint8Array {
  return Uint8Array.of(a, b, c, d)
}

/**
 * Parses IPv4 the way inet_aton (and so curl, browsers' legacy parsers and
 * many resolvers) do: 1 to 4 parts, each decimal, octal (leading 0) or hex
 * (0x), the last part filling the remaining bytes. `2130706433`, `0x7f.1` and
 * `017700000001` are all 127.0.0.1. Returns null when it is not such a form.
 */
function parseIpv4Loose (text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 64) return null
  const parts = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.')
  if (parts.length < 1 || parts.length > 4) return null
  const values: number[] = []
  for (const part of parts) {
    let value: number
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16)
    else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0 : parseInt(part.slice(1), 8)
    else if (/^[1-9][0-9]*$/.test(part)) value = parseInt(part, 10)
    else return null
    if (!Number.isFinite(value)) return null
    values.push(value)
  }
  const last = values.pop() as number
  for (const v of values) if (v > 255) return null
  const lastBytes = 4 - values.length
  if (last >= 2 ** (8 * lastBytes)) return null
  const out = new Uint8Array(4)
  values.forEach((v, i) => { out[i] = v })
  for (let i = 0; i < lastBytes; i++) out[3 - i] = Math.floor(last / 2 ** (8 * i)) % 256
  return out
}

function parseIpv6 (text: string): Uint8Array | null {
  let body = text
  const zone = body.indexOf('%')
  if (zone >= 0) body = body.slice(0, zone)
  if (!net.isIPv6(body)) return null
  // Expand an embedded dotted IPv4 tail into two hextets.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body)
  if (dotted) {
    const four = parseStrictIpv4(dotted[2] as string)
    if (!four) return null
    body = `${dotted[1] as string}${((four[0] as number) << 8 | (four[1] as number)).toString(16)}:${((four[2] as number) << 8 | (four[3] as number)).toString(16)}`
  }
  const halves = body.split('::')
  if (halves.length > 2) return null
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':')
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 && missing !== 0) return null
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (groups.length !== 8) return null
  const out = new Uint8Array(16)
  groups.forEach((g, i) => {
    const value = parseInt(g, 16)
    out[2 * i] = value >> 8
    out[2 * i + 1] = value & 0xff
  })
  return out
}

function parseStrictIpv4 (text: string): Uint8Array | null {
  if (!net.isIPv4(text)) return null
  const parts = text.split('.').map((p) => parseInt(p, 10))
  return v4(parts[0] as number, parts[1] as number, parts[2] as number, parts[3] as number)
}

/** Parses an address as it appears in a URL host (brackets allowed) or from a resolver. */
export function parseAddress (text: string): ParsedAddress | null {
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (host.includes(':')) {
    const bytes = parseIpv6(host)
    return bytes ? { family: 6, bytes } : null
  }
  const bytes = parseIpv4Loose(host)
  return bytes ? { family: 4, bytes } : null
}

function formatAddress (address: ParsedAddress): string {
  if (address.family === 4) return Array.from(address.bytes).join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push((((address.bytes[i] as number) << 8) | (address.bytes[i + 1] as number)).toString(16))
  return groups.join(':')
}

export function parseCidr (text: string): Cidr | null {
  const slash = text.lastIndexOf('/')
  const addressText = slash >= 0 ? text.slice(0, slash) : text
  const address = addressText.includes(':') ? parseIpv6(addressText) : parseStrictIpv4(addressText)
  if (!address) return null
  const family: 4 | 6 = address.length === 4 ? 4 : 6
  const max = family === 4 ? 32 : 128
  const prefix = slash >= 0 ? Number(text.slice(slash + 1)) : max
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null
  return { family, bytes: address, prefix }
}

function cidrContains (cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false
  let bits = cidr.prefix
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if (((cidr.bytes[i] as number) & mask) !== ((address.bytes[i] as number) & mask)) return false
  }
  return true
}

function mustCidr (text: string): Cidr {
  const cidr = parseCidr(text)
  if (!cidr) throw new Error(`bad built-in CIDR ${text}`)
  return cidr
}

/** IPv4 ranges never fetched from (RFC 6890 special-purpose and friends). */
const FORBIDDEN_V4: ReadonlyArray<[Cidr, string]> = ([
  ['0.0.0.0/8', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata lives at 169.254.169.254)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast']
] as Array<[string, string]>).map(([c, r]) => [mustCidr(c), r])

const FORBIDDEN_V6: ReadonlyArray<[Cidr, string]> = ([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'IETF protocol assignments'],
  ['fc00::/7', 'unique local (private)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
  ['fd00:ec2::254/128', 'cloud metadata (AWS IPv6)']
] as Array<[string, string]>).map(([c, r]) => [mustCidr(c), r])

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated), IPv4-translated
 * (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48),
 * and 6to4 (2002:AABB:CCDD::/48). The embedded IPv4 is checked as IPv4.
 */
function embeddedIpv4 (address: ParsedAddress): Uint8Array | null {
  if (address.family !== 6) return null
  const b = address.bytes
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0)
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12, 16)
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return b.slice(12, 16)
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1)) return b.slice(12, 16)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (zeros(4, 12)) return b.slice(12, 16)
    if (b[4] === 0x00 && b[5] === 0x01) return b.slice(12, 16)
  }
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6)
  return null
}

/** Whether an address is one the fetcher may connect to, ignoring the allow-list. */
export function classifyAddress (address: ParsedAddress): AddressVerdict {
  const table = address.family === 4 ? FORBIDDEN_V4 : FORBIDDEN_V6
  for (const [cidr, reason] of table) {
    if (cidrContains(cidr, address)) return { allowed: false, reason: `${formatAddress(address)} is ${reason}` }
  }
  const inner = embeddedIpv4(address)
  if (inner) {
    const verdict = classifyAddress({ family: 4, bytes: inner })
    if (!verdict.allowed) return { allowed: false, reason: `${formatAddress(address)} embeds IPv4 ${Array.from(inner).join('.')}: ${verdict.reason}` }
  }
  return { allowed: true }
}

/** The operator's exceptions: host names (exact or `*.suffix`) and CIDRs. */
export interface AllowList {
  hostAllowed (host: string): boolean
  addressAllowed (address: ParsedAddress): boolean
}

export function createAllowList (hosts: readonly string[], cidrs: readonly string[]): AllowList {
  const exact = new Set<string>()
  const suffixes: string[] = []
  for (const host of hosts) {
    const h = host.toLowerCase().replace(/\.$/, '')
    if (h.startsWith('*.')) suffixes.push(h.slice(1))
    else exact.add(h)
  }
  const parsed = cidrs.map((c) => {
    const cidr = parseCidr(c)
    if (!cidr) throw new Error(`invalid CIDR in allow-list: ${c}`)
    return cidr
  })
  return Object.freeze({
    hostAllowed (host: string): boolean {
      const h = host.toLowerCase().replace(/\.$/, '')
      return exact.has(h) || suffixes.some((s) => h.endsWith(s))
    },
    addressAllowed (address: ParsedAddress): boolean {
      const inner = embeddedIpv4(address)
      return parsed.some((c) => cidrContains(c, address) || (inner !== null && cidrContains(c, { family: 4, bytes: inner })))
    }
  })
}

/** The full check used for URL literals and for every resolved address at connect time. */
export function checkAddress (address: ParsedAddress, allow: AllowList): AddressVerdict {
  if (allow.addressAllowed(address)) return { allowed: true }
  return classifyAddress(address)
}
