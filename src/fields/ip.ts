// IPv4 and IPv6 fields, one occurrence per IP header in the frame: the first is the outer header
// (what tshark's first occurrence shows), then tunnelled or ICMP-quoted ones.

import { Dissection, Proto } from '../decode/dissection';
import * as ip from '../decode/ip';
import { defineField, FT, Span } from './registry';
import { ChecksumStatus, CHECKSUM_STATUS_NAMES, ipv4At, ipv6At } from './format';
import { ipv4Name, ipv6Name, nameResolution } from './names';

const SLAAC_MAC = Buffer.alloc(6);
/** Wireshark's checksum status when it was not verified. */
const IP_FLAG_NAMES = ['Reserved', "Don't fragment", 'More fragments'];
// RFC 2474, RFC 8622 (LE), RFC 3246 (EF), RFC 2597 (AF): the codepoints' names as Wireshark shows them.
const DSCP_NAMES: Record<number, string> = {
  0: 'Default', 1: 'Lower Effort', 8: 'Class Selector 1', 10: 'Assured Forwarding 11', 12: 'Assured Forwarding 12',
  14: 'Assured Forwarding 13', 16: 'Class Selector 2', 18: 'Assured Forwarding 21', 20: 'Assured Forwarding 22',
  22: 'Assured Forwarding 23', 24: 'Class Selector 3', 26: 'Assured Forwarding 31', 28: 'Assured Forwarding 32',
  30: 'Assured Forwarding 33', 32: 'Class Selector 4', 34: 'Assured Forwarding 41', 36: 'Assured Forwarding 42',
  38: 'Assured Forwarding 43', 40: 'Class Selector 5', 44: 'Voice Admit', 46: 'Expedited Forwarding', 48: 'Class Selector 6',
  56: 'Class Selector 7',
};
const DSCP_SHORT: Record<number, string> = {
  0: 'CS0', 1: 'LE', 8: 'CS1', 10: 'AF11', 12: 'AF12', 14: 'AF13', 16: 'CS2', 18: 'AF21', 20: 'AF22', 22: 'AF23', 24: 'CS3',
  26: 'AF31', 28: 'AF32', 30: 'AF33', 32: 'CS4', 34: 'AF41', 36: 'AF42', 38: 'AF43', 40: 'CS5', 44: 'VA', 46: 'EF', 48: 'CS6', 56: 'CS7',
};
const dscpShortName = (v: number): string => DSCP_SHORT[v] ?? `Unknown (${v})`;
// RFC 3168 §5
const ECN_NAMES: Record<number, string> = { 0: 'Not ECN-Capable Transport', 1: 'ECN-Capable Transport codepoint \'01\'', 2: 'ECN-Capable Transport codepoint \'10\'', 3: 'Congestion Experienced' };
const ECN_SHORT = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];
/** IANA protocol numbers as Wireshark names them. */
export const IP_PROTO_NAMES: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 43: 'Routing Header for IPv6',
  44: 'Fragment Header for IPv6', 47: 'Generic Routing Encapsulation', 50: 'Encap Security Payload', 51: 'Authentication Header',
  58: 'ICMPv6', 59: 'IPv6 No Next Header', 60: 'Destination Options for IPv6', 89: 'OSPF IGP', 103: 'PIM', 112: 'Virtual Router Redundancy Protocol',
  132: 'SCTP', 135: 'Mobility Header',
};

// With -N n the headings and the *_host fields name the hosts as known when the header was
// dissected: a DNS answer further in the same frame names them only from its columns on, as in tshark.
const ipv4Label = (d: Dissection, off: number): string => (nameResolution.network ? `${ipv4Name(d.buf, off, d.number)} (${ipv4At(d.buf, off)})` : ipv4At(d.buf, off));
const ipv6Label = (d: Dissection, off: number): string => (nameResolution.network ? `${ipv6Name(d.buf, off, d.number)} (${ipv6At(d.buf, off)})` : ipv6At(d.buf, off));
const ipv4Host = (d: Dissection, off: number): string => (nameResolution.network ? ipv4Name(d.buf, off, d.number) : ipv4At(d.buf, off));
const ipv6Host = (d: Dissection, off: number): string => (nameResolution.network ? ipv6Name(d.buf, off, d.number) : ipv6At(d.buf, off));

// Every IPv4 header of the frame is an occurrence, in order: the outer one first, then those a
// tunnel carries or an ICMP error quotes. `ip.src == X` matches any of them, as in Wireshark.
const count4 = (d: Dissection): number => d.layerCount(Proto.IPv4);
const off4 = (d: Dissection, occurrence: number): number => d.layerOffset(Proto.IPv4, occurrence);
const hdrLen4 = (d: Dissection, o: number): number => (d.buf[o] & 0x0f) * 4;
const u8 = (field: number) => (d: Dissection, i: number) => d.buf[off4(d, i) + field];
const u16 = (field: number) => (d: Dissection, i: number) => d.buf.readUInt16BE(off4(d, i) + field);
const u32 = (field: number) => (d: Dissection, i: number) => d.buf.readUInt32BE(off4(d, i) + field);
const flagsByte = (d: Dissection, i: number): number => d.buf[off4(d, i) + ip.IP4_FLAGS_FRAG];

// Where each IPv4 field lies in its header, for the bytes pane; bit fields name their unit and mask
// so that the tree draws them as Wireshark does (`010. .... = Flags: 0x2, Don't fragment`).
const at4 = (field: number, len: number) => (d: Dissection, i: number, out: Span) => out.set(d.buf, off4(d, i) + field, len);
const dsfieldByte = u8(ip.IP4_DSFIELD);
const fragWord = u16(ip.IP4_FLAGS_FRAG);

defineField({
  name: 'ip', label: 'Internet Protocol Version 4', shortName: 'IPv4', type: FT.None, proto: 'ip', count: count4,
  text: (d, i) => `Internet Protocol Version 4, Src: ${ipv4Label(d, off4(d, i) + ip.IP4_SRC)}, Dst: ${ipv4Label(d, off4(d, i) + ip.IP4_DST)}`,
  range: (d, i, out) => out.set(d.buf, off4(d, i), hdrLen4(d, off4(d, i))),
});
defineField({
  name: 'ip.version', valueBits: 8, label: 'Version', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => d.buf[off4(d, i)] >> 4,
  mask: 0xf0, bitWidth: 8, unit: u8(0), range: at4(0, 1),
});
defineField({
  name: 'ip.hdr_len', valueBits: 8, label: 'Header Length', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => hdrLen4(d, off4(d, i)),
  mask: 0x0f, bitWidth: 8, unit: u8(0), range: at4(0, 1),
  display: (d, i) => `${hdrLen4(d, off4(d, i))} bytes (${d.buf[off4(d, i)] & 0x0f})`,
});
defineField({
  name: 'ip.dsfield', valueBits: 8, label: 'Differentiated Services Field', type: FT.Hex, hexDigits: 2, proto: 'ip', count: count4, num: dsfieldByte,
  range: at4(ip.IP4_DSFIELD, 1),
  display: (d, i) => { const v = dsfieldByte(d, i); return `0x${v.toString(16).padStart(2, '0')} (DSCP: ${dscpShortName(v >> 2)}, ECN: ${ECN_SHORT[v & 3]})`; },
});
defineField({
  name: 'ip.dsfield.dscp', valueBits: 8, label: 'Differentiated Services Codepoint', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => dsfieldByte(d, i) >> 2,
  parent: 'ip.dsfield', mask: 0xfc, bitWidth: 8, unit: dsfieldByte, range: at4(ip.IP4_DSFIELD, 1), valueNames: DSCP_NAMES,
});
defineField({
  name: 'ip.dsfield.ecn', valueBits: 8, label: 'Explicit Congestion Notification', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => dsfieldByte(d, i) & 3,
  parent: 'ip.dsfield', mask: 0x03, bitWidth: 8, unit: dsfieldByte, range: at4(ip.IP4_DSFIELD, 1), valueNames: ECN_NAMES,
});
defineField({
  name: 'ip.len', valueBits: 16, label: 'Total Length', type: FT.UInt, proto: 'ip', count: count4, range: at4(ip.IP4_TOTAL_LEN, 2),
  // A total length of 0 (TCP segmentation offload) is shown as the length actually used, as Wireshark does.
  num: (d, i) => { const o = off4(d, i); const v = d.buf.readUInt16BE(o + ip.IP4_TOTAL_LEN); return v !== 0 ? v : d.frameEnd - o; },
});
defineField({
  name: 'ip.id', valueBits: 16, label: 'Identification', type: FT.Hex, hexDigits: 4, proto: 'ip', count: count4, num: u16(ip.IP4_ID), range: at4(ip.IP4_ID, 2),
  display: (d, i) => { const v = u16(ip.IP4_ID)(d, i); return `0x${v.toString(16).padStart(4, '0')} (${v})`; },
});
defineField({
  name: 'ip.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'ip', count: count4, num: (d, i) => flagsByte(d, i) >> 5,
  mask: 0xe0, bitWidth: 8, unit: flagsByte, range: at4(ip.IP4_FLAGS_FRAG, 1),
  display: (d, i) => { const f = flagsByte(d, i) >> 5; const set = IP_FLAG_NAMES.filter((_n, b) => (f >> (2 - b)) & 1); return `0x${f.toString(16)}${set.length ? ', ' + set.join(', ') : ''}`; },
});
defineField({ name: 'ip.flags.rb', label: 'Reserved bit', type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 7) & 1, parent: 'ip.flags', mask: 0x80, bitWidth: 8, unit: flagsByte, range: at4(ip.IP4_FLAGS_FRAG, 1) });
defineField({ name: 'ip.flags.df', label: "Don't fragment", type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 6) & 1, parent: 'ip.flags', mask: 0x40, bitWidth: 8, unit: flagsByte, range: at4(ip.IP4_FLAGS_FRAG, 1) });
defineField({ name: 'ip.flags.mf', label: 'More fragments', type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 5) & 1, parent: 'ip.flags', mask: 0x20, bitWidth: 8, unit: flagsByte, range: at4(ip.IP4_FLAGS_FRAG, 1) });
defineField({
  name: 'ip.frag_offset', valueBits: 16, label: 'Fragment Offset', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => (fragWord(d, i) & 0x1fff) * 8,
  mask: 0x1fff, bitWidth: 16, unit: fragWord, range: at4(ip.IP4_FLAGS_FRAG, 2),
});
defineField({ name: 'ip.ttl', valueBits: 8, label: 'Time to Live', type: FT.UInt, proto: 'ip', count: count4, num: u8(ip.IP4_TTL), range: at4(ip.IP4_TTL, 1) });
// Wireshark's expert note for a TTL below 5 (packet-ip.c), except towards multicast groups and for
// PIM and OSPF, whose packets are sent with small TTLs on purpose.
const IPPROTO_OSPF = 89;
const IPPROTO_PIM = 103;
const ttlTooSmall = (d: Dissection, k: number): boolean => {
  const o = off4(d, k), ttl = d.buf[o + ip.IP4_TTL], proto = d.buf[o + ip.IP4_PROTO];
  return ttl < 5 && (d.buf[o + ip.IP4_DST] & 0xf0) !== 0xe0 && proto !== IPPROTO_PIM && proto !== IPPROTO_OSPF;
};
const nthTooSmall = (d: Dissection, i: number): number => { for (let k = 0; k < count4(d); k++) if (ttlTooSmall(d, k) && i-- === 0) return k; return -1; };
defineField({
  name: 'ip.ttl.too_small', label: '"Time To Live" only', type: FT.None, proto: 'ip', parent: 'ip.ttl', expert: { severity: 'Note', group: 'Sequence' },
  count: (d) => { let n = 0; for (let k = 0; k < count4(d); k++) if (ttlTooSmall(d, k)) n++; return n; },
  instanceOf: nthTooSmall, parentOf: nthTooSmall,
  text: (d, i) => `"Time To Live" only ${d.buf[off4(d, nthTooSmall(d, i)) + ip.IP4_TTL]}`,
  range: (d, i, out) => out.set(d.buf, off4(d, nthTooSmall(d, i)) + ip.IP4_TTL, 1),
});
defineField({ name: 'ip.proto', valueBits: 8, label: 'Protocol', type: FT.UInt, proto: 'ip', count: count4, num: u8(ip.IP4_PROTO), range: at4(ip.IP4_PROTO, 1), valueNames: IP_PROTO_NAMES });
defineField({
  name: 'ip.checksum', valueBits: 16, label: 'Header Checksum', type: FT.Hex, hexDigits: 4, proto: 'ip', count: count4, num: u16(ip.IP4_CHECKSUM), range: at4(ip.IP4_CHECKSUM, 2),
  display: (d, i) => `0x${u16(ip.IP4_CHECKSUM)(d, i).toString(16).padStart(4, '0')} [validation disabled]`,
});
// tcpwatch does not verify checksums, as Wireshark by default does not: the status is "Unverified" (2).
defineField({
  name: 'ip.checksum.status', valueBits: 8, label: 'Header checksum status', type: FT.UInt, proto: 'ip', count: count4, num: () => ChecksumStatus.Unverified,
  generated: true, display: () => CHECKSUM_STATUS_NAMES[ChecksumStatus.Unverified],
});
defineField({
  name: 'ip.src', label: 'Source Address', type: FT.IPv4, proto: 'ip', count: count4, num: u32(ip.IP4_SRC),
  range: (d, i, out) => out.set(d.buf, off4(d, i) + ip.IP4_SRC, 4),
});
defineField({
  name: 'ip.dst', label: 'Destination Address', type: FT.IPv4, proto: 'ip', count: count4, num: u32(ip.IP4_DST),
  range: (d, i, out) => out.set(d.buf, off4(d, i) + ip.IP4_DST, 4),
});
defineField({
  name: 'ip.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv4, proto: 'ip', count: (d) => 2 * count4(d),
  num: (d, i) => d.buf.readUInt32BE(off4(d, i >> 1) + ((i & 1) === 0 ? ip.IP4_SRC : ip.IP4_DST)),
});
defineField({ name: 'ip.src_host', hidden: true, label: 'Source Host', type: FT.String, proto: 'ip', count: count4, text: (d, i) => ipv4Host(d, off4(d, i) + ip.IP4_SRC) });
defineField({ name: 'ip.dst_host', hidden: true, label: 'Destination Host', type: FT.String, proto: 'ip', count: count4, text: (d, i) => ipv4Host(d, off4(d, i) + ip.IP4_DST) });
defineField({
  name: 'ip.host', hidden: true, label: 'Source or Destination Host', type: FT.String, proto: 'ip', count: (d) => 2 * count4(d),
  text: (d, i) => ipv4Host(d, off4(d, i >> 1) + ((i & 1) === 0 ? ip.IP4_SRC : ip.IP4_DST)),
});

const count6 = (d: Dissection): number => d.layerCount(Proto.IPv6);
const off6 = (d: Dissection, occurrence: number): number => d.layerOffset(Proto.IPv6, occurrence);
const has6 = count6;
defineField({
  name: 'ipv6', label: 'Internet Protocol Version 6', shortName: 'IPv6', type: FT.None, proto: 'ipv6', count: has6,
  text: (d, i) => `Internet Protocol Version 6, Src: ${ipv6Label(d, off6(d, i) + ip.IP6_SRC)}, Dst: ${ipv6Label(d, off6(d, i) + ip.IP6_DST)}`,
  range: (d, i, out) => {
    let k = 0;
    for (let n = i; k < d.stackLen; k++) if (d.stack[k] === Proto.IPv6 && n-- === 0) break;
    return out.set(d.buf, off6(d, i), ip.ipv6ChainEnd(d, k) - off6(d, i));
  },
});
const word6 = (d: Dissection, i: number): number => d.buf.readUInt32BE(off6(d, i));
const tclass6 = (d: Dissection, i: number): number => (word6(d, i) >>> 20) & 0xff;
const at6 = (field: number, len: number) => (d: Dissection, i: number, out: Span) => out.set(d.buf, off6(d, i) + field, len);
defineField({
  name: 'ipv6.version', valueBits: 8, label: 'Version', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i)] >> 4,
  mask: 0xf0, bitWidth: 8, unit: (d, i) => d.buf[off6(d, i)], range: at6(0, 1),
});
defineField({
  name: 'ipv6.tclass', valueBits: 32, label: 'Traffic Class', type: FT.Hex, hexDigits: 2, proto: 'ipv6', count: has6, num: tclass6,
  mask: 0x0ff00000, bitWidth: 32, unit: word6, range: at6(0, 4),
  display: (d, i) => { const v = tclass6(d, i); return `0x${v.toString(16).padStart(2, '0')} (DSCP: ${dscpShortName(v >> 2)}, ECN: ${ECN_SHORT[v & 3]})`; },
});
defineField({
  name: 'ipv6.tclass.dscp', valueBits: 32, label: 'Differentiated Services Codepoint', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => tclass6(d, i) >> 2,
  parent: 'ipv6.tclass', mask: 0x0fc00000, bitWidth: 32, unit: word6, range: at6(0, 4), valueNames: DSCP_NAMES,
});
defineField({
  name: 'ipv6.tclass.ecn', valueBits: 32, label: 'Explicit Congestion Notification', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => tclass6(d, i) & 3,
  parent: 'ipv6.tclass', mask: 0x00300000, bitWidth: 32, unit: word6, range: at6(0, 4), valueNames: ECN_NAMES,
});
defineField({
  name: 'ipv6.flow', valueBits: 24, label: 'Flow Label', type: FT.Hex, hexDigits: 5, proto: 'ipv6', count: has6, num: (d, i) => word6(d, i) & 0xfffff,
  mask: 0x0fffff, bitWidth: 24, unit: (d, i) => word6(d, i) & 0xffffff, range: at6(1, 3),
});
const plen6 = (d: Dissection, i: number): number => d.buf.readUInt16BE(off6(d, i) + ip.IP6_PAYLOAD_LEN);
/** RFC 2675: payload length 0 and a Jumbo Payload option in the hop-by-hop header that follows. */
function isJumbogram(d: Dissection, i: number): boolean {
  if (plen6(d, i) !== 0 || d.buf[off6(d, i) + ip.IP6_NEXT_HEADER] !== ip.IPPROTO_HOPOPTS) return false;
  let k = 0;
  for (let n = i; k < d.stackLen; k++) if (d.stack[k] === Proto.IPv6 && n-- === 0) break;
  if (k + 1 >= d.stackLen || d.stack[k + 1] !== Proto.Ipv6HopOpts) return false;
  const h = d.stackOff[k + 1];
  return ip.findJumboLength(d.buf, h + 2, h + ip.extensionHeaderLength(d.buf, ip.IPPROTO_HOPOPTS, h)) >= 0;
}
defineField({
  name: 'ipv6.plen', valueBits: 16, label: 'Payload Length', type: FT.UInt, proto: 'ipv6', count: has6, num: plen6, range: at6(ip.IP6_PAYLOAD_LEN, 2),
  display: (d, i) => (isJumbogram(d, i) ? '0 (Jumbogram)' : String(plen6(d, i))),
});
// A zero payload length without a hop-by-hop header (where a Jumbo Payload option would give the
// length, RFC 2675) is what a capture taken before TCP segmentation offload shows; Wireshark says so.
const plenZero = (d: Dissection, k: number): boolean => plen6(d, k) === 0 && d.buf[off6(d, k) + ip.IP6_NEXT_HEADER] !== ip.IPPROTO_HOPOPTS;
/** The IPv6 header of the frame holding the i-th zero payload length, or -1. */
const plenZeroHeader = (d: Dissection, i: number): number => { for (let k = 0; k < count6(d); k++) if (plenZero(d, k) && i-- === 0) return k; return -1; };
defineField({
  name: 'ipv6.plen_zero', label: 'IPv6 payload length equals 0 (maybe because of "TCP segmentation offload" (TSO))', type: FT.None, proto: 'ipv6',
  parent: 'ipv6.plen', expert: { severity: 'Chat', group: 'Protocol' },
  count: (d) => { let n = 0; for (let k = 0; k < count6(d); k++) if (plenZero(d, k)) n++; return n; },
  instanceOf: plenZeroHeader, parentOf: plenZeroHeader,
  text: () => 'IPv6 payload length equals 0 (maybe because of "TCP segmentation offload" (TSO))',
  range: (d, i, o) => o.set(d.buf, off6(d, plenZeroHeader(d, i)) + ip.IP6_PAYLOAD_LEN, 0),
});
defineField({ name: 'ipv6.nxt', valueBits: 8, label: 'Next Header', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i) + ip.IP6_NEXT_HEADER], range: at6(ip.IP6_NEXT_HEADER, 1), valueNames: IP_PROTO_NAMES });
defineField({ name: 'ipv6.hlim', valueBits: 8, label: 'Hop Limit', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i) + ip.IP6_HOP_LIMIT], range: at6(ip.IP6_HOP_LIMIT, 1) });
defineField({
  name: 'ipv6.src', label: 'Source Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_SRC, 16), range: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_SRC, 16),
});
defineField({
  name: 'ipv6.dst', label: 'Destination Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_DST, 16), range: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_DST, 16),
});
// An address made by SLAAC from a MAC (modified EUI-64, RFC 4291 appendix A: ff:fe in the middle of
// the interface identifier, the universal/local bit flipped) names that MAC; Wireshark shows it for
// a universal (vendor-assigned) MAC only, whose flipped bit reads 1 in the identifier.
const isSlaac = (d: Dissection, addr: number): boolean => d.buf[addr + 11] === 0xff && d.buf[addr + 12] === 0xfe && (d.buf[addr + 8] & 0x02) !== 0;
for (const [side, at, label] of [['src', ip.IP6_SRC, 'Source'], ['dst', ip.IP6_DST, 'Destination']] as const) {
  defineField({
    name: `ipv6.${side}_slaac_mac`, label: `${label} SLAAC MAC`, type: FT.Ether, proto: 'ipv6', generated: true,
    count: (d) => { let n = 0; for (let i = 0; i < count6(d); i++) if (isSlaac(d, off6(d, i) + at)) n++; return n; },
    instanceOf: (d, i) => { for (let k = 0; k < count6(d); k++) if (isSlaac(d, off6(d, k) + at) && i-- === 0) return k; return -1; },
    bytes: (d, i, out) => {
      let k = 0;
      for (; k < count6(d); k++) if (isSlaac(d, off6(d, k) + at) && i-- === 0) break;
      const a = off6(d, k) + at;
      SLAAC_MAC[0] = d.buf[a + 8] ^ 0x02;
      SLAAC_MAC[1] = d.buf[a + 9];
      SLAAC_MAC[2] = d.buf[a + 10];
      SLAAC_MAC[3] = d.buf[a + 13];
      SLAAC_MAC[4] = d.buf[a + 14];
      SLAAC_MAC[5] = d.buf[a + 15];
      return out.set(SLAAC_MAC, 0, 6);
    },
  });
}
defineField({
  name: 'ipv6.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv6, proto: 'ipv6', count: (d) => 2 * count6(d),
  bytes: (d, i, out) => out.set(d.buf, off6(d, i >> 1) + ((i & 1) === 0 ? ip.IP6_SRC : ip.IP6_DST), 16),
});
defineField({ name: 'ipv6.src_host', hidden: true, label: 'Source Host', type: FT.String, proto: 'ipv6', count: has6, text: (d, i) => ipv6Host(d, off6(d, i) + ip.IP6_SRC) });
defineField({ name: 'ipv6.dst_host', hidden: true, label: 'Destination Host', type: FT.String, proto: 'ipv6', count: has6, text: (d, i) => ipv6Host(d, off6(d, i) + ip.IP6_DST) });
defineField({
  name: 'ipv6.host', hidden: true, label: 'Source or Destination Host', type: FT.String, proto: 'ipv6', count: (d) => 2 * count6(d),
  text: (d, i) => ipv6Host(d, off6(d, i >> 1) + ((i & 1) === 0 ? ip.IP6_SRC : ip.IP6_DST)),
});
