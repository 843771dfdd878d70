import assert from 'node:assert/strict'
import { describe, expect, it } from 'vitest'
import { checkUrl } from '../../src/images/fetch.js'
import { checkAddress, classifyAddress, createAllowList, parseAddress } from '../../src/images/index.js'

const none = createAllowList([], [])

function verdict (text: string): boolean {
  const parsed = parseAddress(text)
  assert.ok(parsed, `should parse ${text}`)
  return classifyAddress(parsed).allowed
}

describe('address guard', () => {
  it('refuses every forbidden IPv4 range', () => {
    for (const a of ['127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1', '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255', '192.0.0.170', '198.18.0.1']) {
      expect(verdict(a), a).toBe(false)
    }
  })

  it('allows public IPv4 and the edges just outside private ranges', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '169.253.255.255']) {
      expect(verdict(a), a).toBe(true)
    }
  })

  it('reads decimal, octal, hex and short IPv4 forms as the resolver would', () => {
    const forms: Record<string, string> = {
      2130706433: '127.0.0.1',
      '0x7f000001': '127.0.0.1',
      '017700000001': '127.0.0.1',
      '0177.0.0.1': '127.0.0.1',
      '0x7f.1': '127.0.0.1',
      '127.1': '127.0.0.1',
      '0xa9.0xfe.0xa9.0xfe': '169.254.169.254',
      '2852039166': '169.254.169.254',
      '012.0.0.1': '10.0.0.1',
      '0': '0.0.0.0'
    }
    for (const [form, expected] of Object.entries(forms)) {
      const parsed = parseAddress(form)
      assert.ok(parsed, form)
      expect(Array.from(parsed.bytes).join('.'), form).toBe(expected)
      expect(classifyAddress(parsed).allowed, form).toBe(false)
    }
    expect(parseAddress('256.1.1.1')).toBe(null)
    expect(parseAddress('1.2.3.4.5')).toBe(null)
    expect(parseAddress('example.com')).toBe(null)
    expect(parseAddress('08.1.1.1'), '08 is not octal').toBe(null)
  })

  it('refuses forbidden IPv6, including IPv4 hidden in mapped, NAT64 and 6to4 forms', () => {
    for (const a of ['::1', '::', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1', '::ffff:0:10.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::127.0.0.1', '64:ff9b:1::a00:1', '2002:7f00:1::1', '2002:a9fe:a9fe::', '::127.0.0.1', '[::1]', '2001:db8::1', 'fd00:ec2::254']) {
      expect(verdict(a), a).toBe(false)
    }
    for (const a of ['2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      expect(verdict(a), a).toBe(true)
    }
  })

  it('lets the operator allow-list exact CIDRs and hosts, nothing wider', () => {
    const allow = createAllowList(['images.internal', '*.cdn.corp'], ['10.1.0.0/16', 'fd00:1::/32'])
    expect(checkAddress(parseAddress('10.1.2.3')!, allow).allowed).toBe(true)
    expect(checkAddress(parseAddress('::ffff:10.1.2.3')!, allow).allowed).toBe(true)
    expect(checkAddress(parseAddress('10.2.0.1')!, allow).allowed).toBe(false)
    expect(checkAddress(parseAddress('fd00:1::5')!, allow).allowed).toBe(true)
    expect(checkAddress(parseAddress('fd00:2::5')!, allow).allowed).toBe(false)
    expect(allow.hostAllowed('images.internal')).toBe(true)
    expect(allow.hostAllowed('a.cdn.corp')).toBe(true)
    expect(allow.hostAllowed('cdn.corp.evil.com')).toBe(false)
    expect(allow.hostAllowed('evilimages.internal')).toBe(false)
    expect(() => createAllowList([], ['10.0.0.0/33'])).toThrow()
  })

  it('refuses non-http schemes, credentials and literal forbidden hosts before any request', () => {
    const cases: Array<[string, string]> = [
      ['file:///etc/passwd', 'refused_scheme'],
      ['ftp://example.com/a.png', 'refused_scheme'],
      ['gopher://example.com/', 'refused_scheme'],
      ['data:image/png;base64,AAAA', 'refused_scheme'],
      ['javascript:alert(1)', 'refused_scheme'],
      ['http://user:pass@example.com/a.png', 'refused_scheme'],
      ['not a url', 'refused_scheme'],
      ['http://127.0.0.1/a.png', 'refused_address'],
      ['http://2130706433/a.png', 'refused_address'],
      ['http://0x7f000001/a.png', 'refused_address'],
      ['http://0177.0.0.1/a.png', 'refused_address'],
      ['http://127.1/a.png', 'refused_address'],
      ['http://[::1]/a.png', 'refused_address'],
      ['http://[::ffff:127.0.0.1]/a.png', 'refused_address'],
      ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'refused_address'],
      ['http://169.254.169.254/latest/meta-data/', 'refused_address'],
      ['http://[fd00:ec2::254]/latest/meta-data/', 'refused_address'],
      ['http://10.0.0.1/a.png', 'refused_address'],
      ['http://192.168.0.1/a.png', 'refused_address'],
      ['http://100.100.100.200/a.png', 'refused_address'],
      ['http://0.0.0.0/a.png', 'refused_address'],
      ['http://localhost/a.png', 'refused_address'],
      ['http://foo.localhost/a.png', 'refused_address']
    ]
    for (const [url, status] of cases) {
      const result = checkUrl(url, none)
      expect(result.ok, url).toBe(false)
      if (!result.ok) expect(result.status, url).toBe(status)
    }
    expect(checkUrl('https://pbs.twimg.com/media/x.jpg', none).ok).toBe(true)
    expect(checkUrl('http://8.8.8.8/x.png', none).ok).toBe(true)
  })
})
