// Each operator of the display filter language on literal frames: the frame, the filter, and
// whether tshark 4.0 would show the frame (the semantics were checked against tshark on the corpus;
// see filter-conformance.test.ts for the comparison itself).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../src/fields';
import { compileFilter, filterSource } from '../src/filter';
import { allFields, defineField, FT, once } from '../src/fields/registry';
import { Dissection } from '../src/decode/dissection';
import { dissect } from './helpers/frames';

// 192.168.1.168:52224 → 104.21.234.234:80, PSH+ACK, seq 0x80000001, with a TCP timestamp option
// (NOP NOP TS) and an HTTP request as payload.
const HTTP_PAYLOAD = 'GET /index.html HTTP/1.1\r\nHost: Example.com\r\n\r\n';
const HTTP = dissect({
  sport: 52224, dport: 80, flags: 0x018, seq: 0x80000001, ack: 2, window: 502,
  options: Buffer.from('0101080a0000000100000002', 'hex'), payload: HTTP_PAYLOAD,
});
// 192.168.1.168:52225 → 104.21.234.234:443 SYN with MSS 1460, NOP, window scale 7.
const SYN = dissect({ sport: 52225, dport: 443, flags: 0x002, options: Buffer.from('020405b401030307', 'hex') });
// A TLS record header and the start of a Client Hello on port 443.
const HELLO = dissect({ sport: 52225, dport: 443, flags: 0x018, payload: Buffer.from('16030100050100000100', 'hex') });
// fe80::1:5353 → 2001:db8::53:53 over UDP.
const UDP6 = dissect({ v6: true, udp: true, src: 'fe80::1', dst: '2001:db8::53', sport: 5353, dport: 53, payload: 'abc', ethDst: '33:33:00:00:00:fb' });
// A NetBIOS broadcast 10.1.2.3:137 → 10.255.255.255:137.
const BCAST = dissect({ udp: true, src: '10.1.2.3', dst: '10.255.255.255', sport: 137, dport: 137, ethDst: 'ff:ff:ff:ff:ff:ff', ttl: 128 });

function yes(filter: string, ...frames: Dissection[]): void {
  const f = compileFilter(filter);
  for (const d of frames) assert.equal(f(d), true, `${filter} should match frame ${d.number} (${d.srcPort}→${d.dstPort})`);
}

function no(filter: string, ...frames: Dissection[]): void {
  const f = compileFilter(filter);
  for (const d of frames) assert.equal(f(d), false, `${filter} should not match frame ${d.number} (${d.srcPort}→${d.dstPort})`);
}

test('protocols and fields are tested for presence', () => {
  yes('tcp', HTTP, SYN);
  no('tcp', UDP6, BCAST);
  yes('ipv6 && udp', UDP6);
  yes('tcp.options.mss_val', SYN);
  no('tcp.options.mss_val', HTTP);
  // A boolean field is present whenever its protocol is, whatever its value (as in tshark).
  yes('tcp.flags.syn', HTTP, SYN);
  yes('tcp.payload', HTTP);
  no('tcp.payload', SYN);
});

test('comparison operators in both spellings', () => {
  for (const [op, word] of [['==', 'eq'], ['!=', 'ne'], ['<', 'lt'], ['<=', 'le'], ['>', 'gt'], ['>=', 'ge']]) {
    const expect = (a: number, b: number): boolean => ({ '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b } as Record<string, boolean>)[op];
    for (const v of [52223, 52224, 52225]) {
      for (const spelled of [op, word]) {
        assert.equal(compileFilter(`tcp.srcport ${spelled} ${v}`)(HTTP), expect(52224, v), `tcp.srcport ${spelled} ${v}`);
      }
    }
  }
});

test('fields that occur twice: == is "any", != is "all differ", === and !== the other way round', () => {
  // HTTP has tcp.port 52224 and 80; ip.addr 192.168.1.168 and 104.21.234.234.
  yes('tcp.port == 80', HTTP);
  yes('tcp.port == 52224', HTTP);
  no('tcp.port != 80', HTTP);
  yes('tcp.port != 81', HTTP);
  yes('tcp.port !== 80', HTTP);
  yes('tcp.port ~= 80', HTTP);
  yes('tcp.port any_ne 80', HTTP);
  no('tcp.port === 80', HTTP);
  no('tcp.port all_eq 80', HTTP);
  yes('tcp.port === 137 || udp.port === 137', BCAST);
  yes('all tcp.port >= 80', HTTP);
  no('all tcp.port > 80', HTTP);
  yes('any tcp.port > 60000 or any tcp.port < 81', HTTP);
  no('ip.addr != 104.21.234.234', HTTP);
  yes('not ip.addr == 10.0.0.1', HTTP);
  // A comparison needs the field: != on a frame without TCP is false, `not ==` is true.
  no('tcp.port != 80', UDP6);
  yes('not tcp.port == 80', UDP6);
  yes('ipv6.addr == 2001:db8::53 and eth.addr == 7a:45:58:c0:1d:c0', UDP6);
});

test('contains and matches', () => {
  yes('tcp.payload contains "Host"', HTTP);
  yes('tcp.payload contains 48:6f:73:74', HTTP);
  yes('tcp.payload contains 0d:0a:0d:0a', HTTP);
  no('tcp.payload contains "host"', HTTP);
  yes('tcp.payload contains 16', HELLO);
  yes('tcp.payload contains 0x16', HELLO);
  // Searching a protocol covers its bytes to the end of the frame, header and payload alike.
  yes('tcp contains "Host"', HTTP);
  yes('ip contains "Host"', HTTP);
  yes('frame contains "Example"', HTTP);
  no('udp contains "Host"', HTTP, UDP6);
  // matches is case-insensitive unless (?-i), as in Wireshark.
  yes('tcp.payload matches "^get /index"', HTTP);
  yes('tcp.payload ~ "host: example\\\\.com"', HTTP);
  no('tcp.payload matches "(?-i)^get"', HTTP);
  yes('tcp.payload matches "(?-i)^GET"', HTTP);
  yes('tcp.payload matches "(?i)EXAMPLE"', HTTP);
  yes('tcp.payload matches "^\\x16\\x03"', HELLO);
  yes('tcp.payload matches r"HTTP/\\d\\.\\d"', HTTP);
  yes('tcp.flags.str matches "A"', HTTP);
  yes('string(tcp.dstport) matches "^4+3$"', SYN);
  no('string(tcp.dstport) matches "^4+3$"', HTTP);
});

test('membership in sets and ranges', () => {
  yes('tcp.port in {443, 8989}', SYN);
  no('tcp.port in {443, 8989}', HTTP);
  yes('tcp.port in {1..1024}', HTTP, SYN);
  yes('tcp.dstport in {1 .. 79, 80}', HTTP);
  no('tcp.dstport in {81..442, 444..65535}', HTTP, SYN);
  yes('tcp.srcport in {1, 2, 3, 4, 5, 6, 7, 52224}', HTTP);
  yes('tcp.port not in {443}', HTTP, UDP6);
  no('tcp.port not in {443}', SYN);
  yes('ip.addr in {10.0.0.0/8}', BCAST);
  yes('ip.dst in {104.21.234.230..104.21.234.240}', HTTP);
  no('ip.dst in {104.21.234.230..104.21.234.233}', HTTP);
  yes('ipv6.dst in {2001:db8::53, ::1}', UDP6);
  yes('eth.dst in {ff:ff:ff:ff:ff:ff}', BCAST);
  yes('tcp.payload[0:3] in {"GET", "PUT"}', HTTP);
  yes('frame.time_delta in {0 .. 0.5}', HTTP);
});

test('logical operators, their words and symbols, and precedence', () => {
  yes('tcp and tcp.port == 80', HTTP);
  yes('tcp && tcp.port == 80', HTTP);
  yes('udp or tcp', HTTP);
  yes('udp || tcp', HTTP);
  no('not tcp', HTTP);
  no('!tcp', HTTP);
  yes('!!tcp', HTTP);
  yes('not not tcp', HTTP);
  // and binds tighter than or; not tighter than and
  yes('udp and udp or tcp', HTTP);
  no('udp and (udp or tcp)', HTTP);
  yes('not udp and tcp', HTTP);
  no('not (udp or tcp)', HTTP);
  // xor is true when exactly one side is
  for (const [a, b] of [['tcp', 'udp'], ['tcp', 'tcp'], ['udp', 'udp'], ['udp', 'tcp']]) {
    const want = (a === 'tcp') !== (b === 'tcp');
    assert.equal(compileFilter(`${a} xor ${b}`)(HTTP), want, `${a} xor ${b}`);
    assert.equal(compileFilter(`${a} ^^ ${b}`)(HTTP), want, `${a} ^^ ${b}`);
  }
  // xor sits between and and or
  yes('tcp xor tcp or tcp', HTTP);
  no('tcp xor tcp and tcp', HTTP);
});

test('slices of bytes, strings, addresses and protocols', () => {
  yes('tcp.payload[0:3] == 47:45:54', HTTP);
  yes('tcp.payload[0:3] == "GET"', HTTP);
  yes('tcp.payload[0-2] == "GET"', HTTP);
  yes('tcp.payload[0] == 47', HTTP);
  yes('tcp.payload[:3] == "GET"', HTTP);
  yes(`tcp.payload[${HTTP_PAYLOAD.length - 4}:] == 0d:0a:0d:0a`, HTTP);
  yes('tcp.payload[-4:] == 0d:0a:0d:0a', HTTP);
  yes('tcp.payload[-4:2] == 0d:0a', HTTP);
  yes('tcp.payload[-2--1] == 0d:0a', HTTP);
  yes('tcp.payload[0:2,4] == 47:45:2f', HTTP);
  yes('tcp.payload[0:2, 4-5, 6:1] == "GE/in"', HTTP);
  // A slice that does not fit in the field does not exist.
  no('tcp.payload[0:1000]', HTTP);
  no(`tcp.payload[${HTTP_PAYLOAD.length}:]`, HTTP);
  yes(`tcp.payload[${HTTP_PAYLOAD.length - 1}:]`, HTTP);
  no('tcp.payload[-1000:2]', HTTP);
  yes('eth.src[0:3] == 7a:45:58', HTTP);
  yes('ip.src[0] == c0', HTTP);
  yes('ip.addr[0:2] == 68:15', HTTP);
  yes('ipv6.src[0:2] == fe:80', UDP6);
  yes('frame[12:2] == 08:00', HTTP);
  // A protocol's slice covers its own bytes (the TCP header here: 20 + 12 bytes of options).
  yes('tcp[13] == 18', HTTP);
  yes('tcp[-12:4] == 01:01:08:0a', HTTP);
  yes('len(tcp) == 32', HTTP);
  no('tcp[32]', HTTP);
  // Strings slice by bytes, as in Wireshark: each of the seven middle dots before A is 2 bytes of UTF-8.
  yes('tcp.flags.str[14:1] == "A"', HTTP);
});

test('numbers in every notation, characters and strings with escapes', () => {
  yes('tcp.dstport == 80', HTTP);
  yes('tcp.dstport == 0x50', HTTP);
  yes('tcp.dstport == 0X50', HTTP);
  yes('tcp.dstport == 0120', HTTP);
  yes('tcp.dstport == 0b1010000', HTTP);
  yes("tcp.dstport == 'P'", HTTP);
  yes("tcp.dstport == '\\x50'", HTTP);
  yes("tcp.dstport == '\\120'", HTTP);
  yes('tcp.seq_raw == 2147483649', HTTP);
  yes('tcp.seq_raw > 0x80000000', HTTP);
  yes('tcp.srcport - 52225 == -1', HTTP);
  yes('tcp.payload contains "\\r\\n\\r\\n"', HTTP);
  yes('tcp.payload contains "\\x47\\x45\\x54"', HTTP);
  yes('tcp.payload contains "\\107ET"', HTTP);
  yes('tcp.payload contains "\\u0047ET"', HTTP);
  yes('tcp.payload contains "HTTP/1.1\\r"', HTTP);
  yes('tcp.payload[0:4] == "\\x16\\x03\\x01\\x00"', HELLO);
  yes('frame.time_relative >= 0 && frame.time_relative < 1.5', HTTP);
  yes('ip.ttl == 128', BCAST);
});

test('IPv4 and IPv6 addresses with CIDR prefixes', () => {
  yes('ip.addr == 104.21.0.0/16', HTTP);
  yes('ip.src == 192.168.1.168/32', HTTP);
  yes('ip.dst == 0.0.0.0/0', HTTP);
  no('ip.src == 192.168.2.0/24', HTTP);
  yes('ip.src == 192.168.1.0/24 and ip.dst != 192.168.1.0/24', HTTP);
  yes('ip.src > 192.168.1.100', HTTP);
  yes('ip.dst < 192.168.1.100', HTTP);
  yes('ipv6.src == fe80::/10', UDP6);
  yes('ipv6.src == fe80::1', UDP6);
  yes('ipv6.dst == 2001:db8::/32', UDP6);
  yes('ipv6.dst == 2001:0db8:0000:0000:0000:0000:0000:0053', UDP6);
  yes('ipv6.dst == 2001:db8:0:0:0:0:0:53/128', UDP6);
  no('ipv6.dst == 2001:db9::/32', UDP6);
  no('ipv6.src == ::ffff:1.2.3.4', UDP6);
  yes('ipv6.addr > ::1', UDP6);
});

test('MAC addresses and byte strings in the notations Wireshark accepts', () => {
  for (const mac of ['7a:45:58:c0:1d:c0', '7a-45-58-c0-1d-c0', '7a45.58c0.1dc0', '7a4558c01dc0', '7A:45:58:C0:1D:C0']) yes(`eth.src == ${mac}`, HTTP);
  yes('eth.addr == ff:ff:ff:ff:ff:ff', BCAST);
  no('eth.addr == ff:ff:ff:ff:ff:ff', HTTP);
  yes('eth.dst[0] & 1', BCAST, UDP6);
  no('eth.dst[0] & 1', HTTP);
  for (const b of ['47:45:54', '47-45-54', '47.45.54', '474554']) yes(`tcp.payload[0:3] == ${b}`, HTTP);
  yes('tcp.payload[0] == 0x47', HTTP);
  yes('tcp.payload[0] == 47', HTTP);
  yes('tcp.payload[0:2] < 47:46', HTTP);
  yes('tcp.payload[0:2] > 47', HTTP);
});

test('absolute times as seconds or as dates', () => {
  const t = dissect({ sport: 1, dport: 2 });
  t.tsSec = 1700000000; // 2023-11-14 22:13:20 UTC
  t.tsNsec = 500000000;
  yes('frame.time_epoch == 1700000000.5', t);
  yes('frame.time_epoch > "2023-11-14T22:13:20Z"', t);
  yes('frame.time_epoch < "2023-11-14 22:13:21Z"', t);
  yes('frame.time_epoch < "2023-11-14T23:13:21+01:00"', t);
  no('frame.time_epoch < "2023-11-14T23:13:20+01:00"', t);
  yes('frame.time_epoch in {"Nov 14, 2023 22:13:20 UTC" .. "Nov 14, 2023 22:13:21 UTC"}', t);
});

test('booleans: 1, 0, True, False, and any non-zero number', () => {
  yes('tcp.flags.syn == 1', SYN);
  yes('tcp.flags.syn == True', SYN);
  yes('tcp.flags.syn == TRUE', SYN);
  yes('tcp.flags.syn == 2', SYN);
  yes('tcp.flags.syn == 0', HTTP);
  yes('tcp.flags.syn == False', HTTP);
  yes('tcp.flags.syn == 1 && tcp.flags.ack == 0', SYN);
  no('tcp.flags.syn == 1 && tcp.flags.ack == 0', HTTP);
  yes('ip.flags.df == 1', HTTP);
});

test('arithmetic and bitwise and', () => {
  yes('tcp.flags & 0x02', SYN);
  no('tcp.flags & 0x02', HTTP);
  yes('tcp.flags & 0x12 == 0x10', HTTP);
  yes('tcp.flags bitwise_and 0x18 == 0x18', HTTP);
  yes('tcp.srcport + 1 == 52225', HTTP);
  yes('tcp.srcport -1 == 52223', HTTP);
  yes('{tcp.dstport + 3} * 2 == 166', HTTP);
  yes('tcp.dstport * 2 + 3 == 163', HTTP);
  yes('tcp.window_size_value / 4 == 125', HTTP);
  yes('tcp.window_size_value % 100 == 2', HTTP);
  yes('tcp.dstport >= tcp.srcport / 1000', HTTP);
  no('tcp.dstport / 0 == 0', HTTP);
  yes('ip.src & 255.255.255.0 == 192.168.1.0', HTTP);
  yes('tcp.payload[0:2] & ff:00 == 47:00', HTTP);
  yes('-tcp.dstport == -80', HTTP);
});

test('functions: len, count, string, upper, lower, abs, max, min', () => {
  yes(`len(tcp.payload) == ${HTTP_PAYLOAD.length}`, HTTP);
  yes('len(eth.src) == 6 and len(ipv6.src) == 16', UDP6);
  yes('count(ip.addr) == 2', HTTP);
  yes('count(tcp.options.mss_val) == 1', SYN);
  // Functions imply their field exists, so a count of 0 never matches (as tshark).
  no('count(tcp.options.mss_val) == 0', HTTP);
  yes('string(tcp.dstport) == "80"', HTTP);
  yes('string(ip.dst) == "104.21.234.234"', HTTP);
  yes('string(eth.src) == "7a:45:58:c0:1d:c0"', HTTP);
  yes('string(ipv6.dst) contains "db8::53"', UDP6);
  yes('upper(tcp.flags.str) == "·······AP···" && lower(tcp.flags.str) contains "ap"', HTTP);
  yes('abs(tcp.dstport - tcp.srcport) == 52144', HTTP);
  yes('max(tcp.srcport, tcp.dstport) == 52224 && min(tcp.srcport, tcp.dstport) == 80', HTTP);
});

test('a field compares with another field', () => {
  yes('tcp.srcport > tcp.dstport', HTTP);
  no('tcp.srcport == tcp.dstport', HTTP);
  yes('udp.srcport == udp.dstport', BCAST);
  yes('frame[0:6] == eth.dst', HTTP);
  yes('eth.dst == frame[0:6]', HTTP);
  no('ip.src == ip.dst', HTTP);
  yes('80 == tcp.dstport', HTTP);
});

test('every registered field is filterable, including ones registered after the filter module loaded', () => {
  for (const f of allFields()) {
    compileFilter(f.name)(HTTP);
    compileFilter(`!${f.name}`)(UDP6);
  }
  // A field from a module tcpwatch does not have yet: found through the registry at compile time.
  defineField({ name: 'tcpwatchtest.answer', label: 'Answer', type: FT.UInt, proto: 'tcpwatchtest', count: once((d) => d.tcpOff >= 0), num: () => 42 });
  defineField({ name: 'tcpwatchtest.word', label: 'Word', type: FT.String, proto: 'tcpwatchtest', count: once((d) => d.tcpOff >= 0), text: () => 'Hello' });
  yes('tcpwatchtest.answer == 42 && tcpwatchtest.word == "Hello" && tcpwatchtest.word matches "^h"', HTTP);
  no('tcpwatchtest.answer', UDP6);
});

test('numeric filters compile to number comparisons without building strings', () => {
  const src = filterSource('tcp.port == 443 && tcp.flags.syn == 1 && ip.addr == 10.0.0.0/8');
  const body = src.slice(src.indexOf('function'));
  assert.doesNotMatch(body, /toString|String\(|\.text|x\d+\(d/);
  assert.match(body, /=== \(443\)/);
  // Field names and literals travel in the constants array, never inside the generated code.
  const tricky = filterSource('tcp.payload contains "\\"); throw new Error(); (\\""');
  assert.doesNotMatch(tricky, /throw new Error/);
  no('tcp.payload contains "\\"); throw new Error(); (\\""', HTTP);
});
