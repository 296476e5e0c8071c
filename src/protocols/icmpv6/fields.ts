// ICMPv6's fields, each declared once, with tshark 4.0's names, types and tree order. Occurrence i
// of a message field is the i-th message (the frame's, then the one an error quotes) that has it;
// option fields are the frame's message's options of that type, in order.

import { Dissection, Proto } from '../../decode/dissection';
import { protocolNamed } from '../../decode/protocol-registry';
import { defineField, FT, getField, Span } from '../../fields/registry';
import { ipv6At, macAt, ChecksumStatus, CHECKSUM_STATUS_NAMES } from '../../fields/format';
import { echoMatch } from '../icmp/echo-match';
import { leaveToData } from '../data';
import { internetChecksum } from '../icmp/wire';
import type { Icmpv6Layer } from './layer';
import {
  IPV4_ENTRY, IPV6_ENTRY, NI_DATA, NI_FLAGS, NI_NONCE, NI_QTYPE, NI_TTL_LEN, QTYPE_IPV4_ADDRESSES, QTYPE_NODE_ADDRESSES, QTYPE_NODE_NAME,
  SUBJECT_IPV4, SUBJECT_IPV6,
} from './node-info';
import * as w from './wire';
import { nameText } from '../dns/wire';

const layerOf = (d: Dissection): Icmpv6Layer => protocolNamed('icmpv6')!.layer(d) as Icmpv6Layer;
const messages = (d: Dissection): number => (d.hasLayer(Proto.Icmpv6) ? layerOf(d).count : 0);
const IPV6_NEXT_HEADER_ICMPV6 = 58;
const IP6_SRC = 8;

type Pred = (d: Dissection, off: number, end: number, k: number) => boolean;

function perMessage(has: Pred) {
  const which = (d: Dissection, i: number): number => {
    const L = layerOf(d);
    for (let k = 0; k < messages(d); k++) if (has(d, L.off[k], L.end[k], k) && i-- === 0) return k;
    return 0;
  };
  return {
    count: (d: Dissection): number => {
      let n = 0;
      const L = layerOf(d);
      for (let k = 0; k < messages(d); k++) if (has(d, L.off[k], L.end[k], k)) n++;
      return n;
    },
    instanceOf: which,
    at: (d: Dissection, i: number): number => layerOf(d).off[which(d, i)],
    endOf: (d: Dissection, i: number): number => layerOf(d).end[which(d, i)],
  };
}

const typeAt = (d: Dissection, off: number): number => d.buf[off + w.TYPE];
const ofType = (...types: number[]): Pred => (d, off) => types.includes(typeAt(d, off));

interface Spec {
  name: string; label: string; type: FT; valueBits?: 8 | 16 | 32 | 64; hexDigits?: number;
  pos: number; len: number; has: Pred;
  num?: (d: Dissection, off: number) => number;
  parent?: string; mask?: number; bitWidth?: number; valueNames?: Readonly<Record<number, string>>; trueFalse?: boolean;
  display?: (d: Dissection, off: number) => string;
}

function field(s: Spec): void {
  const sel = perMessage((d, off, end, k) => s.has(d, off, end, k) && end - off >= s.pos + s.len);
  const unitReader = s.bitWidth === 32 ? (d: Dissection, off: number) => d.buf.readUInt32BE(off)
    : s.bitWidth === 16 ? (d: Dissection, off: number) => d.buf.readUInt16BE(off) : (d: Dissection, off: number) => d.buf[off];
  defineField({
    name: s.name, label: s.label, type: s.type, valueBits: s.valueBits, hexDigits: s.hexDigits, proto: 'icmpv6', count: sel.count,
    instanceOf: sel.instanceOf, parent: s.parent, mask: s.mask, bitWidth: s.bitWidth, valueNames: s.valueNames, trueFalse: s.trueFalse,
    unit: s.mask !== undefined ? (d, i) => unitReader(d, sel.at(d, i) + s.pos) : undefined,
    num: s.num ? (d, i) => s.num!(d, sel.at(d, i)) : undefined,
    bytes: s.num ? undefined : (d, i, o) => o.set(d.buf, sel.at(d, i) + s.pos, s.len),
    display: s.display ? (d, i) => s.display!(d, sel.at(d, i)) : undefined,
    range: (d, i, o) => o.set(d.buf, sel.at(d, i) + s.pos, s.len),
  });
}

const ipv6Field = (name: string, label: string, pos: number, has: Pred): void =>
  field({ name, label, type: FT.IPv6, pos, len: 16, has });

const all = perMessage(() => true);
const any: Pred = () => true;
defineField({
  name: 'icmpv6', label: 'Internet Control Message Protocol v6', shortName: 'ICMPv6', type: FT.None, proto: 'icmpv6', count: all.count, instanceOf: all.instanceOf,
  // The node information reply's TTLs and addresses come in turns: the tree follows the bytes.
  orderByBytes: true,
  range: (d, i, o) => o.set(d.buf, all.at(d, i), all.endOf(d, i) - all.at(d, i)),
});
field({
  name: 'icmpv6.type', label: 'Type', type: FT.UInt, valueBits: 8, pos: w.TYPE, len: 1, has: any, num: (d, off) => d.buf[off],
  display: (d, off) => `${w.typeName(d.buf[off])} (${d.buf[off]})`,
});
field({
  name: 'icmpv6.code', label: 'Code', type: FT.UInt, valueBits: 8, pos: w.CODE, len: 1, has: any, num: (d, off) => d.buf[off + 1],
  display: (d, off) => {
    const text = w.codeText(d.buf[off], d.buf[off + 1]);
    return text === null ? String(d.buf[off + 1]) : `${d.buf[off + 1]} (${text})`;
  },
});

// RFC 4443 §2.3: the checksum covers a pseudo-header (RFC 8200 §8.1) of the addresses, the
// upper-layer length and next header 58. Verified only when the whole message was captured.
// RFC 8200 §8.1: with a Routing header, the pseudo-header names the final destination, not the next
// hop in the IPv6 header: the last address of a type 0 header (RFC 2460), the home address of type 2
// (RFC 6275 §6.4), the first segment of a segment routing header (RFC 8754 §2), while segments are left.
const IP6_DST = 24, IP6_HEADER_LEN = 40;
const IPPROTO_HOPOPTS = 0, IPPROTO_ROUTING = 43, IPPROTO_FRAGMENT = 44, IPPROTO_DSTOPTS = 60;
const RH_SOURCE_ROUTE = 0, RH_TYPE2 = 2, RH_SEGMENT_ROUTING = 4;
function finalDestination(buf: Buffer, ip: number, payload: number): number {
  let next = buf[ip + 6];
  let p = ip + IP6_HEADER_LEN;
  for (let guard = 0; guard < 16 && payload - p >= 8; guard++) {
    if (next === IPPROTO_ROUTING) {
      const len = (buf[p + 1] + 1) * 8, type = buf[p + 2], segmentsLeft = buf[p + 3];
      if (segmentsLeft > 0 && len >= 24 && p + len <= payload) {
        if (type === RH_SOURCE_ROUTE || type === RH_TYPE2) return p + len - 16;
        if (type === RH_SEGMENT_ROUTING) return p + 8;
      }
    } else if (next !== IPPROTO_HOPOPTS && next !== IPPROTO_DSTOPTS && next !== IPPROTO_FRAGMENT) break;
    const len = next === IPPROTO_FRAGMENT ? 8 : (buf[p + 1] + 1) * 8;
    next = buf[p];
    p += len;
  }
  return ip + IP6_DST;
}

function checksumStatus(d: Dissection, k: number): number {
  const L = layerOf(d);
  const off = L.off[k], end = L.end[k], ip = L.ipOff[k];
  if (ip < 0 || L.fragmented[k] !== 0 || end - off < L.reportedLen[k]) return ChecksumStatus.Unverified;
  const len = end - off;
  let sum = (len >>> 16) + (len & 0xffff) + IPV6_NEXT_HEADER_ICMPV6;
  for (let p = ip + IP6_SRC; p < ip + IP6_SRC + 16; p += 2) sum += d.buf.readUInt16BE(p);
  const dst = finalDestination(d.buf, ip, off);
  for (let p = dst; p < dst + 16; p += 2) sum += d.buf.readUInt16BE(p);
  return internetChecksum(d.buf, off, end, sum) === 0 ? ChecksumStatus.Good : ChecksumStatus.Bad;
}
field({
  name: 'icmpv6.checksum', label: 'Checksum', type: FT.Hex, hexDigits: 4, valueBits: 16, pos: w.CHECKSUM, len: 2, has: any,
  num: (d, off) => d.buf.readUInt16BE(off + w.CHECKSUM),
  display: (d, off) => {
    const k = layerOf(d).off[0] === off ? 0 : 1;
    return `0x${d.buf.readUInt16BE(off + w.CHECKSUM).toString(16).padStart(4, '0')} [${['incorrect', 'correct', 'unverified'][checksumStatus(d, k)]}]`;
  },
});
defineField({
  name: 'icmpv6.checksum.status', label: 'Checksum Status', type: FT.UInt, valueBits: 8, proto: 'icmpv6', generated: true,
  count: all.count, instanceOf: all.instanceOf, num: (d, i) => checksumStatus(d, all.instanceOf(d, i)),
  display: (d, i) => CHECKSUM_STATUS_NAMES[checksumStatus(d, all.instanceOf(d, i))],
  range: (d, i, o) => o.set(d.buf, all.at(d, i) + w.CHECKSUM, 0),
});

// ---- MLD (RFC 2710 §3, RFC 3810 §5) ----
const mldV1 = ofType(w.MLD_QUERY, w.MLD_REPORT, w.MLD_DONE);
const isV2Query = (d: Dissection, off: number, end: number): boolean => typeAt(d, off) === w.MLD_QUERY && end - off >= 28;
field({
  name: 'icmpv6.mld.maximum_response_code', label: 'Maximum Response Code', type: FT.UInt, valueBits: 16, pos: 4, len: 2,
  has: (d, off, end) => isV2Query(d, off, end), num: (d, off) => d.buf.readUInt16BE(off + 4),
});
field({
  name: 'icmpv6.mld.maximum_response_delay', label: 'Maximum Response Delay [ms]', type: FT.UInt, valueBits: 16, pos: 4, len: 2,
  has: (d, off, end, k) => mldV1(d, off, end, k) && !isV2Query(d, off, end), num: (d, off) => d.buf.readUInt16BE(off + 4),
});

// The second word: reserved (RFC 4443 §3.1, §3.3; RFC 4861 §4.1, §4.3, §4.5), the MTU of Packet Too
// Big (§3.2), the pointer of Parameter Problem (§3.4). MLDv2 reports reserve 2 bytes.
{
  const reservedAt = (type: number): [number, number] => {
    switch (type) {
      case w.UNREACHABLE: case w.TIME_EXCEEDED: case w.ROUTER_SOLICITATION: case w.NEIGHBOR_SOLICITATION: case w.REDIRECT: return [4, 4];
      case w.MLDV2_REPORT: return [4, 2];
      case w.MLD_QUERY: case w.MLD_REPORT: case w.MLD_DONE: return [6, 2];
      default: return [0, 0];
    }
  };
  const sel = perMessage((d, off, end) => {
    const [pos, len] = reservedAt(typeAt(d, off));
    return len > 0 && end - off >= pos + len;
  });
  const reservedSpan = (d: Dissection, i: number, o: Span): true => {
    const off = sel.at(d, i);
    const [pos, len] = reservedAt(typeAt(d, off));
    return o.set(d.buf, off + pos, len);
  };
  defineField({ name: 'icmpv6.reserved', label: 'Reserved', type: FT.Bytes, proto: 'icmpv6', count: sel.count, instanceOf: sel.instanceOf, bytes: reservedSpan, range: reservedSpan });
}
field({ name: 'icmpv6.mtu', label: 'MTU', type: FT.UInt, valueBits: 32, pos: 4, len: 4, has: ofType(w.PACKET_TOO_BIG), num: (d, off) => d.buf.readUInt32BE(off + 4) });
field({ name: 'icmpv6.pointer', label: 'Pointer', type: FT.UInt, valueBits: 32, pos: 4, len: 4, has: ofType(w.PARAMETER_PROBLEM), num: (d, off) => d.buf.readUInt32BE(off + 4) });

// MLD's multicast address (RFC 2710 §3.6), and MLDv2's query fields (RFC 3810 §5.1).
ipv6Field('icmpv6.mld.multicast_address', 'Multicast Address', 8, mldV1);
const v2Query: Pred = (d, off, end) => isV2Query(d, off, end);
field({ name: 'icmpv6.mld.flag', label: 'Flags', type: FT.Hex, hexDigits: 2, valueBits: 8, pos: 24, len: 1, has: v2Query, num: (d, off) => d.buf[off + 24] });
for (const [name, label, mask, type] of [
  ['icmpv6.mld.flag.s', 'Suppress Router-Side Processing', 0x08, FT.Bool], ['icmpv6.mld.flag.qrv', "QRV (Querier's Robustness Variable)", 0x07, FT.UInt],
  ['icmpv6.mld.flag.reserved', 'Reserved', 0xf0, FT.UInt],
] as const) {
  const shift = Math.log2(mask & -mask);
  // packet-icmpv6.c gives S no true_false_string: tshark reads it True/False.
  field({
    name, label, type, valueBits: type === FT.Bool ? undefined : 8, pos: 24, len: 1, has: v2Query, parent: 'icmpv6.mld.flag', mask, bitWidth: 8,
    trueFalse: type === FT.Bool, num: (d, off) => (d.buf[off + 24] & mask) >> shift,
  });
}
field({ name: 'icmpv6.mld.qqi', label: "QQIC (Querier's Query Interval Code)", type: FT.UInt, valueBits: 8, pos: 25, len: 1, has: v2Query, num: (d, off) => d.buf[off + 25] });
field({ name: 'icmpv6.mld.nb_sources', label: 'Number of Sources', type: FT.UInt, valueBits: 16, pos: 26, len: 2, has: v2Query, num: (d, off) => d.buf.readUInt16BE(off + 26) });
{
  // Occurrence i: the i-th source address of the frame's query that the captured bytes hold.
  const sources = (d: Dissection): number => {
    if (messages(d) === 0) return 0;
    const L = layerOf(d), off = L.off[0], end = L.end[0];
    if (!isV2Query(d, off, end)) return 0;
    return Math.min(d.buf.readUInt16BE(off + 26), Math.floor((end - off - 28) / 16));
  };
  const sourceSpan = (d: Dissection, i: number, o: Span): true => o.set(d.buf, layerOf(d).off[0] + 28 + 16 * i, 16);
  defineField({ name: 'icmpv6.mld.source_address', label: 'Source Address', type: FT.IPv6, proto: 'icmpv6', count: sources, instanceOf: () => 0, bytes: sourceSpan, range: sourceSpan });
}
// MLDv2 reports (RFC 3810 §5.2): records of type(1) aux data length(1, 32-bit words) number of
// sources(2) multicast address(16), the sources, then the auxiliary data.
field({ name: 'icmpv6.mldr.nb_mcast_records', label: 'Number of Multicast Address Records', type: FT.UInt, valueBits: 16, pos: 6, len: 2, has: ofType(w.MLDV2_REPORT), num: (d, off) => d.buf.readUInt16BE(off + 6) });
{
  const RECORD_HEADER = 20;
  const recordLen = (d: Dissection, p: number): number => RECORD_HEADER + 16 * d.buf.readUInt16BE(p + 2) + 4 * d.buf[p + 1];
  /** Offset of the i-th whole record of the frame's report (-1 when none); the walk ends at the message's end or the stated count. */
  const recordAt = (d: Dissection, i: number): number => {
    if (messages(d) === 0) return -1;
    const L = layerOf(d), off = L.off[0], end = L.end[0];
    if (typeAt(d, off) !== w.MLDV2_REPORT || end - off < 8) return -1;
    const n = d.buf.readUInt16BE(off + 6);
    let p = off + 8;
    for (let k = 0; k < n && end - p >= RECORD_HEADER; k++) {
      const len = recordLen(d, p);
      if (len > end - p) return -1;
      if (k === i) return p;
      p += len;
    }
    return -1;
  };
  const records = (d: Dissection): number => {
    let n = 0;
    while (recordAt(d, n) >= 0) n++;
    return n;
  };
  const RECORD_TYPES: Readonly<Record<number, string>> = {
    1: 'Include', 2: 'Exclude', 3: 'Changed to include', 4: 'Changed to exclude', 5: 'Allow new sources', 6: 'Block old sources',
  };
  const inRecord = { parent: 'icmpv6.mldr.mar', parentOf: (_d: Dissection, i: number): number => i };
  defineField({
    name: 'icmpv6.mldr.mar', label: 'Multicast Address Record', type: FT.None, proto: 'icmpv6', count: records, instanceOf: () => 0,
    heading: (d, i) => `Multicast Address Record ${RECORD_TYPES[d.buf[recordAt(d, i)]] ?? 'Unknown'}: ${ipv6At(d.buf, recordAt(d, i) + 4)}`,
    range: (d, i, o) => o.set(d.buf, recordAt(d, i), recordLen(d, recordAt(d, i))),
  });
  defineField({
    name: 'icmpv6.mldr.mar.record_type', label: 'Record Type', type: FT.UInt, valueBits: 8, proto: 'icmpv6', count: records, instanceOf: () => 0, ...inRecord,
    valueNames: RECORD_TYPES, num: (d, i) => d.buf[recordAt(d, i)], range: (d, i, o) => o.set(d.buf, recordAt(d, i), 1),
  });
  defineField({
    name: 'icmpv6.mldr.mar.aux_data_len', label: 'Aux Data Len', type: FT.UInt, valueBits: 8, proto: 'icmpv6', count: records, instanceOf: () => 0, ...inRecord,
    num: (d, i) => d.buf[recordAt(d, i) + 1], range: (d, i, o) => o.set(d.buf, recordAt(d, i) + 1, 1),
  });
  defineField({
    name: 'icmpv6.mldr.mar.nb_sources', label: 'Number of Sources', type: FT.UInt, valueBits: 16, proto: 'icmpv6', count: records, instanceOf: () => 0, ...inRecord,
    num: (d, i) => d.buf.readUInt16BE(recordAt(d, i) + 2), range: (d, i, o) => o.set(d.buf, recordAt(d, i) + 2, 2),
  });
  defineField({
    name: 'icmpv6.mldr.mar.multicast_address', label: 'Multicast Address', type: FT.IPv6, proto: 'icmpv6', count: records, instanceOf: () => 0, ...inRecord,
    bytes: (d, i, o) => o.set(d.buf, recordAt(d, i) + 4, 16), range: (d, i, o) => o.set(d.buf, recordAt(d, i) + 4, 16),
  });
  // Sources over all records, in order: occurrence i is the source's place in that list.
  const sourceAt = (d: Dissection, i: number, out: Int32Array): number => {
    for (let r = 0; ; r++) {
      const p = recordAt(d, r);
      if (p < 0) return -1;
      const n = d.buf.readUInt16BE(p + 2);
      if (i < n) { out[0] = r; return p + RECORD_HEADER + 16 * i; }
      i -= n;
    }
  };
  const which = new Int32Array(1);
  const sourceCount = (d: Dissection): number => {
    let n = 0;
    for (let r = 0, p = recordAt(d, 0); p >= 0; p = recordAt(d, ++r)) n += d.buf.readUInt16BE(p + 2);
    return n;
  };
  defineField({
    name: 'icmpv6.mldr.mar.source_address', label: 'Source Address', type: FT.IPv6, proto: 'icmpv6', count: sourceCount, instanceOf: () => 0,
    parent: 'icmpv6.mldr.mar', parentOf: (d, i) => (sourceAt(d, i, which) >= 0 ? which[0] : 0),
    bytes: (d, i, o) => o.set(d.buf, sourceAt(d, i, which), 16), range: (d, i, o) => o.set(d.buf, sourceAt(d, i, which), 16),
  });
}

// RFC 4443 §4.1: echo.
const echo = ofType(w.ECHO_REQUEST, w.ECHO_REPLY);
field({
  name: 'icmpv6.echo.identifier', label: 'Identifier', type: FT.Hex, hexDigits: 4, valueBits: 16, pos: 4, len: 2, has: echo,
  num: (d, off) => d.buf.readUInt16BE(off + 4),
});
field({ name: 'icmpv6.echo.sequence_number', label: 'Sequence', type: FT.UInt, valueBits: 16, pos: 6, len: 2, has: echo, num: (d, off) => d.buf.readUInt16BE(off + 6) });

// A reply names its request (the echo matching stage), before the echo's data as tshark lists them.
const matched = (d: Dissection): boolean => {
  const m = echoMatch.peek(d);
  return m !== undefined && m.number === d.number && m.requestIn > 0 && d.hasLayer(Proto.Icmpv6) && !d.inIcmpError;
};
defineField({
  name: 'icmpv6.resp_to', label: 'Response To', type: FT.UInt, ftype: 'FT_FRAMENUM', valueBits: 32, proto: 'icmpv6', generated: true, count: (d) => (matched(d) ? 1 : 0),
  instanceOf: () => 0, num: (d) => echoMatch.of(d).requestIn, range: (d, _i, o) => o.set(d.buf, layerOf(d).off[0] + w.HEADER_LEN, 0),
});
defineField({
  name: 'icmpv6.resptime', label: 'Response Time', type: FT.Double, proto: 'icmpv6', generated: true, count: (d) => (matched(d) ? 1 : 0),
  instanceOf: () => 0, num: (d) => Math.round(echoMatch.of(d).respTimeMs * 1e6) / 1e6,
  display: (d) => `${Math.round(echoMatch.of(d).respTimeMs * 1e6) / 1e6} ms`, range: (d, _i, o) => o.set(d.buf, layerOf(d).off[0] + w.HEADER_LEN, 0),
});

const span = new Span();

// The echo's data, which Wireshark hands to its data dissector inside the ICMPv6 tree (src/protocols/data).
const ICMPV6_ECHO_DATA = 8;
leaveToData(Proto.Icmpv6, (d, o) => {
  const L = layerOf(d), k = L.count - 1;
  if (k < 0 || !echo(d, L.off[k], L.end[k], k)) return false;
  return L.end[k] - L.off[k] > ICMPV6_ECHO_DATA && o.set(d.buf, L.off[k] + ICMPV6_ECHO_DATA, L.end[k] - L.off[k] - ICMPV6_ECHO_DATA);
});

/**
 * A flags field's line as proto_tree_add_bitmask writes it: the value in hex, then the label of each
 * bit that is set and, for a part with named values, its label and the name.
 */
type FlagBit = readonly [name: string, label: string, mask: number, type: FT, names?: Readonly<Record<number, string>>];
function bitmaskLine(value: number, hexDigits: number, bits: readonly FlagBit[]): string {
  let s = `0x${value.toString(16).padStart(hexDigits, '0')}`;
  for (const [, label, mask, type, names] of bits) {
    if (type === FT.Bool) {
      if ((value & mask) !== 0) s += `, ${label}`;
    } else if (names !== undefined) {
      const v = (value & mask) >> Math.log2(mask & -mask);
      s += `, ${label}: ${names[v] ?? 'Unknown'}`;
    }
  }
  return s;
}

// ---- Router Advertisement (RFC 4861 §4.2) ----
const ra = ofType(w.ROUTER_ADVERTISEMENT);
field({ name: 'icmpv6.nd.ra.cur_hop_limit', label: 'Cur hop limit', type: FT.UInt, valueBits: 8, pos: 4, len: 1, has: ra, num: (d, off) => d.buf[off + 4] });
const PRF_NAMES: Readonly<Record<number, string>> = { 0: 'Medium', 1: 'High', 2: 'Reserved', 3: 'Low' };
const RA_FLAG_BITS = [
  ['icmpv6.nd.ra.flag.m', 'Managed address configuration', 0x80, FT.Bool, undefined],
  ['icmpv6.nd.ra.flag.o', 'Other configuration', 0x40, FT.Bool, undefined],
  ['icmpv6.nd.ra.flag.h', 'Home Agent', 0x20, FT.Bool, undefined],
  ['icmpv6.nd.ra.flag.prf', 'Prf (Default Router Preference)', 0x18, FT.UInt, PRF_NAMES],
  ['icmpv6.nd.ra.flag.p', 'Proxy', 0x04, FT.Bool, undefined],
  ['icmpv6.nd.ra.flag.rsv', 'Reserved', 0x03, FT.UInt, undefined],
] as const;
field({
  name: 'icmpv6.nd.ra.flag', label: 'Flags', type: FT.Hex, hexDigits: 2, valueBits: 8, pos: 5, len: 1, has: ra, num: (d, off) => d.buf[off + 5],
  display: (d, off) => bitmaskLine(d.buf[off + 5], 2, RA_FLAG_BITS),
});
for (const [name, label, mask, type, names] of RA_FLAG_BITS) {
  const shift = Math.log2(mask & -mask);
  field({
    name, label, type, valueBits: type === FT.Bool ? undefined : 8, pos: 5, len: 1, has: ra, parent: 'icmpv6.nd.ra.flag', mask, bitWidth: 8,
    valueNames: names, num: (d, off) => (d.buf[off + 5] & mask) >> shift,
  });
}
field({ name: 'icmpv6.nd.ra.router_lifetime', label: 'Router lifetime (s)', type: FT.UInt, valueBits: 16, pos: 6, len: 2, has: ra, num: (d, off) => d.buf.readUInt16BE(off + 6) });
field({ name: 'icmpv6.nd.ra.reachable_time', label: 'Reachable time (ms)', type: FT.UInt, valueBits: 32, pos: 8, len: 4, has: ra, num: (d, off) => d.buf.readUInt32BE(off + 8) });
field({ name: 'icmpv6.nd.ra.retrans_timer', label: 'Retrans timer (ms)', type: FT.UInt, valueBits: 32, pos: 12, len: 4, has: ra, num: (d, off) => d.buf.readUInt32BE(off + 12) });

// ---- Neighbor Solicitation and Advertisement (RFC 4861 §4.3, §4.4), Redirect (§4.5) ----
ipv6Field('icmpv6.nd.ns.target_address', 'Target Address', 8, ofType(w.NEIGHBOR_SOLICITATION));
const na = ofType(w.NEIGHBOR_ADVERTISEMENT);
const NA_FLAG_BITS = [
  ['icmpv6.nd.na.flag.r', 'Router', 0x80000000, FT.Bool], ['icmpv6.nd.na.flag.s', 'Solicited', 0x40000000, FT.Bool],
  ['icmpv6.nd.na.flag.o', 'Override', 0x20000000, FT.Bool], ['icmpv6.nd.na.flag.rsv', 'Reserved', 0x1fffffff, FT.UInt],
] as const;
field({
  name: 'icmpv6.nd.na.flag', label: 'Flags', type: FT.Hex, hexDigits: 8, valueBits: 32, pos: 4, len: 4, has: na, num: (d, off) => d.buf.readUInt32BE(off + 4),
  display: (d, off) => bitmaskLine(d.buf.readUInt32BE(off + 4), 8, NA_FLAG_BITS),
});
for (const [name, label, mask, type] of NA_FLAG_BITS) {
  field({
    name, label, type, valueBits: type === FT.Bool ? undefined : 32, pos: 4, len: 4, has: na, parent: 'icmpv6.nd.na.flag', mask, bitWidth: 32,
    num: (d, off) => (type === FT.Bool ? ((d.buf.readUInt32BE(off + 4) & mask) !== 0 ? 1 : 0) : d.buf.readUInt32BE(off + 4) & mask),
  });
}
ipv6Field('icmpv6.nd.na.target_address', 'Target Address', 8, na);
ipv6Field('icmpv6.nd.rd.target_address', 'Target Address', 8, ofType(w.REDIRECT));
// tshark 4.0's name for it, odd as it is.
ipv6Field('icmpv6.rd.na.destination_address', 'Destination Address', 24, ofType(w.REDIRECT));

// ---- Node Information (RFC 4620 §4) ----
const ni = ofType(w.NI_QUERY, w.NI_REPLY);
const QTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOOP', 1: 'Supported query types (Obsolete)', 2: 'Node Name', 3: 'Node addresses', 4: 'IPv4 node addresses',
};
field({ name: 'icmpv6.ni.qtype', label: 'Qtype', type: FT.UInt, valueBits: 16, pos: NI_QTYPE, len: 2, has: ni, valueNames: QTYPE_NAMES, num: (d, off) => d.buf.readUInt16BE(off + NI_QTYPE) });
/** The A flag's words (RFC 4620 §6.3: all unicast addresses, or only the queried interface's), as packet-icmpv6.c names them. */
const NI_FLAG_A_WORDS: Readonly<Record<number, string>> = { 1: 'All unicast address', 0: 'Unicast addresses on the queried interface' };
const NI_FLAG_BITS = [
  ['icmpv6.ni.flag.g', 'Global-scope addresses', 0x20, FT.Bool], ['icmpv6.ni.flag.s', 'Site-local addresses', 0x10, FT.Bool],
  ['icmpv6.ni.flag.l', 'Link-local addresses', 0x08, FT.Bool], ['icmpv6.ni.flag.c', 'Compression', 0x04, FT.Bool],
  ['icmpv6.ni.flag.a', 'Unicast Addresses', 0x02, FT.Bool], ['icmpv6.ni.flag.t', 'Truncated', 0x01, FT.Bool],
  ['icmpv6.ni.flag.rsv', 'Reserved', 0xffc0, FT.Hex],
] as const;
field({
  name: 'icmpv6.ni.flag', label: 'Flags', type: FT.Hex, hexDigits: 4, valueBits: 16, pos: NI_FLAGS, len: 2, has: ni, num: (d, off) => d.buf.readUInt16BE(off + NI_FLAGS),
  display: (d, off) => bitmaskLine(d.buf.readUInt16BE(off + NI_FLAGS), 4, NI_FLAG_BITS),
});
for (const [name, label, mask, type] of NI_FLAG_BITS) {
  const shift = Math.log2(mask & -mask);
  field({
    name, label, type, valueBits: type === FT.Bool ? undefined : 16, hexDigits: 3, pos: NI_FLAGS, len: 2, has: ni, parent: 'icmpv6.ni.flag', mask, bitWidth: 16,
    valueNames: name === 'icmpv6.ni.flag.a' ? NI_FLAG_A_WORDS : undefined, num: (d, off) => (d.buf.readUInt16BE(off + NI_FLAGS) & mask) >> shift,
  });
}
field({
  name: 'icmpv6.ni.nonce', label: 'Nonce', type: FT.Hex, hexDigits: 16, valueBits: 64, pos: NI_NONCE, len: 8, has: ni,
  num: (d, off) => Number(d.buf.readBigUInt64BE(off + NI_NONCE)),
  display: (d, off) => `0x${d.buf.toString('hex', off + NI_NONCE, off + NI_DATA)}`,
});
// 64 bits do not fit a number exactly: -T fields prints the nonce from its bytes, as the tree does.
getField('icmpv6.ni.nonce')!.text = (d, i) => getField('icmpv6.ni.nonce')!.display!(d, i);

/** The frame's own message when it is a Node Information message with data after its nonce: its offset, else -1. */
const niDataMessage = (d: Dissection, type: number): number => {
  if (messages(d) === 0) return -1;
  const L = layerOf(d);
  const off = L.off[0];
  return L.end[0] - off > NI_DATA && typeAt(d, off) === type ? off : -1;
};
const niQuery = (code: number): Pred => (d, off) => typeAt(d, off) === w.NI_QUERY && d.buf[off + w.CODE] === code;
ipv6Field('icmpv6.ni.query.subject_ipv6', 'IPv6 subject address', NI_DATA, niQuery(SUBJECT_IPV6));

// The names the decode step walked (node-info.ts): a query's subject name, a reply's node names.
const niNameCount = (d: Dissection, type: number): number => (messages(d) > 0 && typeAt(d, layerOf(d).off[0]) === type ? layerOf(d).niNames : 0);
const niNameField = (name: string, label: string, type: number): void => void defineField({
  name, label, type: FT.String, proto: 'icmpv6', count: (d) => niNameCount(d, type), instanceOf: () => 0,
  text: (d, i) => {
    const L = layerOf(d), start = L.niNameSpans[2 * i];
    return nameText(d.buf, start, L.end[0], start);
  },
  range: (d, i, o) => {
    const L = layerOf(d);
    return o.set(d.buf, L.niNameSpans[2 * i], L.niNameSpans[2 * i + 1] - L.niNameSpans[2 * i]);
  },
});
niNameField('icmpv6.ni.query.subject_fqdn', 'FQDN subject', w.NI_QUERY);
field({ name: 'icmpv6.ni.query.subject_ipv4', label: 'IPv4 subject address', type: FT.IPv4, pos: NI_DATA, len: 4, has: niQuery(SUBJECT_IPV4), num: (d, off) => d.buf.readUInt32BE(off + NI_DATA) });

// A reply's data by its Qtype, whatever its code (Wireshark reads it so). An entry cut short still
// shows its TTL when that much is there, as Wireshark's does before it runs out.
const replyQtype = (d: Dissection): number => {
  const off = niDataMessage(d, w.NI_REPLY);
  return off < 0 ? -1 : d.buf.readUInt16BE(off + NI_QTYPE);
};
const replyDataLen = (d: Dissection): number => layerOf(d).end[0] - layerOf(d).off[0] - NI_DATA;
const entriesOf = (d: Dissection, qtype: number, size: number): number => (replyQtype(d) === qtype ? Math.floor(replyDataLen(d) / size) : 0);
const ttlsOf = (d: Dissection, size: number): number => {
  const len = replyDataLen(d);
  return Math.floor(len / size) + (len % size >= NI_TTL_LEN ? 1 : 0);
};
const ttlCount = (d: Dissection): number => {
  switch (replyQtype(d)) {
    case QTYPE_NODE_NAME: return replyDataLen(d) >= NI_TTL_LEN ? 1 : 0;
    case QTYPE_NODE_ADDRESSES: return ttlsOf(d, IPV6_ENTRY);
    case QTYPE_IPV4_ADDRESSES: return ttlsOf(d, IPV4_ENTRY);
    default: return 0;
  }
};
const dataAt = (d: Dissection): number => layerOf(d).off[0] + NI_DATA;
const ttlAt = (d: Dissection, i: number): number =>
  dataAt(d) + i * (replyQtype(d) === QTYPE_IPV4_ADDRESSES ? IPV4_ENTRY : IPV6_ENTRY);
defineField({
  name: 'icmpv6.ni.reply.node_ttl', label: 'TTL', type: FT.UInt, valueBits: 32, proto: 'icmpv6', count: ttlCount,
  instanceOf: () => 0, num: (d, i) => d.buf.readUInt32BE(ttlAt(d, i)), range: (d, i, o) => o.set(d.buf, ttlAt(d, i), NI_TTL_LEN),
});
niNameField('icmpv6.ni.reply.node_name', 'Name Node', w.NI_REPLY);
const ipv6EntryAt = (d: Dissection, i: number): number => dataAt(d) + i * IPV6_ENTRY + NI_TTL_LEN;
defineField({
  name: 'icmpv6.ni.reply.node_address', label: 'IPv6 Node address', type: FT.IPv6, proto: 'icmpv6',
  count: (d) => entriesOf(d, QTYPE_NODE_ADDRESSES, IPV6_ENTRY), instanceOf: () => 0,
  bytes: (d, i, o) => o.set(d.buf, ipv6EntryAt(d, i), 16), range: (d, i, o) => o.set(d.buf, ipv6EntryAt(d, i), 16),
});
const ipv4EntryAt = (d: Dissection, i: number): number => dataAt(d) + i * IPV4_ENTRY + NI_TTL_LEN;
defineField({
  name: 'icmpv6.ni.reply.ipv4_address', label: 'IPv4 Node address', type: FT.IPv4, proto: 'icmpv6',
  count: (d) => entriesOf(d, QTYPE_IPV4_ADDRESSES, IPV4_ENTRY), instanceOf: () => 0,
  num: (d, i) => d.buf.readUInt32BE(ipv4EntryAt(d, i)), range: (d, i, o) => o.set(d.buf, ipv4EntryAt(d, i), 4),
});

// ---- Neighbor Discovery options (RFC 4861 §4.6 and the RFCs that add options) ----
/** Offset of the i-th option of the frame's message for which `want(type, len)` holds, -1 when none; `lenOut[0]` its length. */
const lenOut = new Int32Array(1);
type OptionWanted = (type: number, len: number, buf: Buffer, p: number) => boolean;
function optionAt(d: Dissection, want: OptionWanted, i: number): number {
  if (messages(d) === 0) return -1;
  const L = layerOf(d);
  let found = -1;
  w.walkOptions(d.buf, L.off[0], L.end[0], (p, len) => {
    if (!want(d.buf[p], len, d.buf, p)) return false;
    if (i-- === 0) {
      found = p;
      lenOut[0] = len;
      return true;
    }
    return false;
  });
  return found;
}
function optionCount(d: Dissection, want: OptionWanted): number {
  if (messages(d) === 0) return 0;
  const L = layerOf(d);
  let n = 0;
  w.walkOptions(d.buf, L.off[0], L.end[0], (p, len) => {
    if (want(d.buf[p], len, d.buf, p)) n++;
  });
  return n;
}
const anyOption = (): boolean => true;
/** RFC 8106 §5.1: where a Recursive DNS Server option's addresses start, 16 bytes each. */
const RDNSS_SERVERS = 8;
// RFC 8106 §5.2: domain names in DNS wire form without compression, then zero padding to the
// option's end. Each name's labels are walked within the option, so a bad length ends the list.
const DNSSL_NAMES = 8;
const MAX_LABEL = 63;
/** Calls each(start, end) for every whole name; returns where the padding starts (the option's end when none). */
const walkDnsslNames = (buf: Buffer, p: number, len: number, each: (start: number, end: number) => boolean | void): number => {
  const optEnd = p + len;
  let q = p + DNSSL_NAMES;
  while (q < optEnd && buf[q] !== 0) {
    let r = q;
    while (r < optEnd && buf[r] !== 0 && buf[r] <= MAX_LABEL) r += 1 + buf[r];
    if (r >= optEnd || buf[r] !== 0) return optEnd;
    if (each(q, r + 1) === true) return optEnd;
    q = r + 1;
  }
  return q;
};
const dottedName = (buf: Buffer, start: number, end: number): string => {
  const labels: string[] = [];
  for (let q = start; q < end - 1; q += 1 + buf[q]) labels.push(buf.toString('latin1', q + 1, q + 1 + buf[q]));
  return labels.join('.');
};
const optionHeading = (d: Dissection, p: number, len: number): string => {
  const type = d.buf[p];
  const name = w.OPTION_NAMES[type] ?? 'Unknown';
  if ((type === w.OPT_SOURCE_LINKADDR || type === w.OPT_TARGET_LINKADDR) && len === 8) return `ICMPv6 Option (${name} : ${macAt(d.buf, p + 2)})`;
  if (type === w.OPT_PREFIX_INFO && len >= 32) return `ICMPv6 Option (${name} : ${ipv6At(d.buf, p + 16)}/${d.buf[p + 2]})`;
  if (type === w.OPT_MTU && len >= 8) return `ICMPv6 Option (${name} : ${d.buf.readUInt32BE(p + 4)})`;
  if (type === w.OPT_RDNSS) {
    // Each server's address follows the name (RFC 8106 §5.1: 16 bytes each after 8).
    let s = `ICMPv6 Option (${name}`;
    for (let q = p + RDNSS_SERVERS; q + 16 <= p + len; q += 16) s += ` ${ipv6At(d.buf, q)}`;
    return `${s})`;
  }
  if (type === w.OPT_ADV_INTERVAL && len >= 8) return `ICMPv6 Option (${name} : ${d.buf.readUInt32BE(p + 4)})`;
  if (type === w.OPT_DNSSL && len > DNSSL_NAMES) {
    let s = `ICMPv6 Option (${name}`;
    walkDnsslNames(d.buf, p, len, (start, end) => { s += ` ${dottedName(d.buf, start, end)}`; });
    return `${s})`;
  }
  return `ICMPv6 Option (${name})`;
};
defineField({
  name: 'icmpv6.opt', label: 'ICMPv6 Option', type: FT.None, proto: 'icmpv6', count: (d) => optionCount(d, anyOption), instanceOf: () => 0,
  heading: (d, i) => {
    const p = optionAt(d, anyOption, i);
    return p < 0 ? 'ICMPv6 Option' : optionHeading(d, p, lenOut[0]);
  },
  range: (d, i, o) => {
    const p = optionAt(d, anyOption, i);
    return o.set(d.buf, p < 0 ? 0 : p, p < 0 ? 0 : lenOut[0]);
  },
});

interface OptSpec {
  name: string; label: string; type: FT; valueBits?: 8 | 16 | 32; hexDigits?: number;
  /** Position in the option and length. */
  pos: number; len: number;
  want: (type: number, len: number) => boolean;
  num?: (buf: Buffer, p: number) => number;
  mask?: number; bitWidth?: number; parent?: string; valueNames?: Readonly<Record<number, string>>;
  display?: (buf: Buffer, p: number, len: number) => string;
}
function optField(s: OptSpec): void {
  const want = (type: number, len: number): boolean => s.want(type, len) && len >= s.pos + s.len;
  const at = (d: Dissection, i: number): number => optionAt(d, want, i);
  defineField({
    name: s.name, label: s.label, type: s.type, valueBits: s.valueBits, hexDigits: s.hexDigits, proto: 'icmpv6', parent: s.parent ?? 'icmpv6.opt',
    count: (d) => optionCount(d, want), instanceOf: () => 0, mask: s.mask, bitWidth: s.bitWidth, valueNames: s.valueNames,
    unit: s.mask !== undefined ? (d, i) => (s.bitWidth === 16 ? d.buf.readUInt16BE(at(d, i) + s.pos) : d.buf[at(d, i) + s.pos]) : undefined,
    num: s.num ? (d, i) => s.num!(d.buf, at(d, i)) : undefined,
    bytes: s.num ? undefined : (d, i, o) => o.set(d.buf, at(d, i) + s.pos, s.len),
    display: s.display ? (d, i) => s.display!(d.buf, at(d, i), lenOut[0]) : undefined,
    range: (d, i, o) => o.set(d.buf, at(d, i) + s.pos, s.len),
  });
}
const optIs = (...types: number[]) => (type: number): boolean => types.includes(type);
optField({
  name: 'icmpv6.opt.type', label: 'Type', type: FT.UInt, valueBits: 8, pos: 0, len: 1, want: anyOption, num: (b, p) => b[p],
  display: (b, p) => `${w.OPTION_NAMES[b[p]] ?? 'Unknown'} (${b[p]})`,
});
optField({
  name: 'icmpv6.opt.length', label: 'Length', type: FT.UInt, valueBits: 8, pos: 1, len: 1, want: anyOption, num: (b, p) => b[p + 1],
  display: (b, p) => `${b[p + 1]} (${b[p + 1] * 8} bytes)`,
});
// Link-layer addresses: an Ethernet address when the option is 8 bytes long.
const etherAddr = (...types: number[]) => (type: number, len: number): boolean => types.includes(type) && len === 8;
// tshark types them as bytes, and prints an Ethernet address as one (with colons).
for (const [name, label, want] of [
  ['icmpv6.opt.linkaddr', 'Link-layer address', etherAddr(w.OPT_SOURCE_LINKADDR, w.OPT_TARGET_LINKADDR)],
  ['icmpv6.opt.src_linkaddr', 'Source Link-layer address', etherAddr(w.OPT_SOURCE_LINKADDR)],
  ['icmpv6.opt.target_linkaddr', 'Target Link-layer address', etherAddr(w.OPT_TARGET_LINKADDR)],
] as const) {
  optField({ name, label, type: FT.Bytes, pos: 2, len: 6, want });
  const f = getField(name)!;
  // The source/target copies are filter-only in tshark's tree; the generic one is shown.
  if (name !== 'icmpv6.opt.linkaddr') f.hidden = true;
  f.text = (d, i) => (f.bytes!(d, i, span) ? macAt(span.buf, span.off) : '');
}
// RFC 4861 §4.6.2
const prefix = optIs(w.OPT_PREFIX_INFO);
optField({ name: 'icmpv6.opt.prefix.length', label: 'Prefix Length', type: FT.UInt, valueBits: 8, pos: 2, len: 1, want: prefix, num: (b, p) => b[p + 2] });
const PREFIX_FLAG_BITS = [
  ['icmpv6.opt.prefix.flag.l', 'On-link flag(L)', 0x80, FT.Bool], ['icmpv6.opt.prefix.flag.a', 'Autonomous address-configuration flag(A)', 0x40, FT.Bool],
  ['icmpv6.opt.prefix.flag.r', 'Router address flag(R)', 0x20, FT.Bool], ['icmpv6.opt.prefix.flag.reserved', 'Reserved', 0x1f, FT.UInt],
] as const;
optField({
  name: 'icmpv6.opt.prefix.flag', label: 'Flag', type: FT.Hex, hexDigits: 2, valueBits: 8, pos: 3, len: 1, want: prefix, num: (b, p) => b[p + 3],
  display: (b, p) => bitmaskLine(b[p + 3], 2, PREFIX_FLAG_BITS),
});
for (const [name, label, mask, type] of PREFIX_FLAG_BITS) {
  optField({
    name, label, type, valueBits: type === FT.Bool ? undefined : 8, pos: 3, len: 1, want: prefix, parent: 'icmpv6.opt.prefix.flag', mask, bitWidth: 8,
    num: (b, p) => (type === FT.Bool ? ((b[p + 3] & mask) !== 0 ? 1 : 0) : b[p + 3] & mask),
  });
}
optField({ name: 'icmpv6.opt.prefix.valid_lifetime', label: 'Valid Lifetime', type: FT.UInt, valueBits: 32, pos: 4, len: 4, want: prefix, num: (b, p) => b.readUInt32BE(p + 4) });
optField({ name: 'icmpv6.opt.prefix.preferred_lifetime', label: 'Preferred Lifetime', type: FT.UInt, valueBits: 32, pos: 8, len: 4, want: prefix, num: (b, p) => b.readUInt32BE(p + 8) });
// The option's reserved bytes: 4 in a prefix option, 2 in MTU, RDNSS, DNSSL, advertisement interval and home agent options.
const reservedAt = (type: number): [number, number] =>
  type === w.OPT_PREFIX_INFO ? [12, 4] : [2, 2];
const hasReserved = optIs(w.OPT_PREFIX_INFO, w.OPT_MTU, w.OPT_RDNSS, w.OPT_DNSSL, w.OPT_ADV_INTERVAL, w.OPT_HOME_AGENT_INFO);
{
  const want = (type: number, len: number): boolean => hasReserved(type) && len >= reservedAt(type)[0] + reservedAt(type)[1];
  const span2 = (d: Dissection, i: number, o: Span): true => {
    const p = optionAt(d, want, i);
    const [pos, len] = reservedAt(d.buf[p]);
    return o.set(d.buf, p + pos, len);
  };
  defineField({
    name: 'icmpv6.opt.reserved', label: 'Reserved', type: FT.None, proto: 'icmpv6', parent: 'icmpv6.opt', count: (d) => optionCount(d, want),
    instanceOf: () => 0, range: span2,
  });
}
optField({
  name: 'icmpv6.opt.prefix', label: 'Prefix', type: FT.IPv6, pos: 16, len: 16, want: prefix,
});
// RFC 4861 §4.6.4
optField({ name: 'icmpv6.opt.mtu', label: 'MTU', type: FT.UInt, valueBits: 32, pos: 4, len: 4, want: optIs(w.OPT_MTU), num: (b, p) => b.readUInt32BE(p + 4) });
// RFC 6275 §7.3, §7.4
optField({ name: 'icmpv6.opt.advertisement_interval', label: 'Advertisement Interval', type: FT.UInt, valueBits: 32, pos: 4, len: 4, want: optIs(w.OPT_ADV_INTERVAL), num: (b, p) => b.readUInt32BE(p + 4) });
optField({ name: 'icmpv6.opt.home_agent_preference', label: 'Home Agent Preference', type: FT.UInt, valueBits: 16, pos: 4, len: 2, want: optIs(w.OPT_HOME_AGENT_INFO), num: (b, p) => b.readUInt16BE(p + 4) });
// tshark 4.0 registers the lifetime under the preference's label.
optField({ name: 'icmpv6.opt.home_agent_lifetime', label: 'Home Agent Preference', type: FT.UInt, valueBits: 16, pos: 6, len: 2, want: optIs(w.OPT_HOME_AGENT_INFO), num: (b, p) => b.readUInt16BE(p + 6) });
// RFC 3971 §5.3.2: the nonce fills the rest of the option.
{
  const want = (type: number, len: number): boolean => type === w.OPT_NONCE && len > 2;
  const nonceSpan = (d: Dissection, i: number, o: Span): true => {
    const p = optionAt(d, want, i);
    return o.set(d.buf, p + 2, lenOut[0] - 2);
  };
  defineField({
    name: 'icmpv6.opt.nonce', label: 'Nonce', type: FT.Bytes, proto: 'icmpv6', parent: 'icmpv6.opt', count: (d) => optionCount(d, want),
    instanceOf: () => 0, bytes: nonceSpan, range: nonceSpan,
  });
}
// RFC 8106 §5.1: lifetime, then the servers' addresses.
const rdnss = optIs(w.OPT_RDNSS);
optField({ name: 'icmpv6.opt.rdnss.lifetime', label: 'Lifetime', type: FT.UInt, valueBits: 32, pos: 4, len: 4, want: rdnss, num: (b, p) => b.readUInt32BE(p + 4) });
{
  // Occurrence i: the i-th server address over all RDNSS options.
  const serverAt = (d: Dissection, i: number): number => {
    for (let k = 0; ; k++) {
      const p = optionAt(d, (t, l) => t === w.OPT_RDNSS && l >= 24, k);
      if (p < 0) return -1;
      const n = (lenOut[0] - RDNSS_SERVERS) >> 4;
      if (i < n) return p + RDNSS_SERVERS + 16 * i;
      i -= n;
    }
  };
  const count = (d: Dissection): number => {
    let n = 0;
    for (let k = 0; ; k++) {
      const p = optionAt(d, (t, l) => t === w.OPT_RDNSS && l >= 24, k);
      if (p < 0) return n;
      n += (lenOut[0] - RDNSS_SERVERS) >> 4;
    }
  };
  defineField({
    name: 'icmpv6.opt.rdnss', label: 'Recursive DNS Servers', type: FT.IPv6, proto: 'icmpv6', parent: 'icmpv6.opt', count, instanceOf: () => 0,
    bytes: (d, i, o) => o.set(d.buf, serverAt(d, i), 16), range: (d, i, o) => o.set(d.buf, serverAt(d, i), 16),
  });
}
optField({ name: 'icmpv6.opt.dnssl.lifetime', label: 'Lifetime', type: FT.UInt, valueBits: 32, pos: 4, len: 4, want: optIs(w.OPT_DNSSL), num: (b, p) => b.readUInt32BE(p + 4) });
{
  const wantDnssl: OptionWanted = (type, len) => type === w.OPT_DNSSL && len > DNSSL_NAMES;
  const nameAt = (d: Dissection, i: number, out: Int32Array): boolean => {
    for (let k = 0; ; k++) {
      const p = optionAt(d, wantDnssl, k);
      if (p < 0) return false;
      let found = false;
      walkDnsslNames(d.buf, p, lenOut[0], (start, end) => {
        if (i-- !== 0) return false;
        out[0] = start;
        out[1] = end;
        found = true;
        return true;
      });
      if (found) return true;
    }
  };
  const nameCount = (d: Dissection): number => {
    let n = 0;
    for (let k = 0; ; k++) {
      const p = optionAt(d, wantDnssl, k);
      if (p < 0) return n;
      walkDnsslNames(d.buf, p, lenOut[0], () => { n++; });
    }
  };
  const nameSpan = new Int32Array(2);
  defineField({
    name: 'icmpv6.opt.dnssl', label: 'Domain Names', type: FT.String, proto: 'icmpv6', parent: 'icmpv6.opt', count: nameCount, instanceOf: () => 0,
    text: (d, i) => (nameAt(d, i, nameSpan) ? dottedName(d.buf, nameSpan[0], nameSpan[1]) : ''),
    range: (d, i, o) => (nameAt(d, i, nameSpan) ? o.set(d.buf, nameSpan[0], nameSpan[1] - nameSpan[0]) : o.set(d.buf, 0, 0)),
  });
  const hasPadding: OptionWanted = (type, len, buf, p) => wantDnssl(type, len, buf, p) && walkDnsslNames(buf, p, len, () => false) < p + len;
  defineField({
    name: 'icmpv6.opt.padding', label: 'Padding', type: FT.None, proto: 'icmpv6', parent: 'icmpv6.opt', count: (d) => optionCount(d, hasPadding), instanceOf: () => 0,
    range: (d, i, o) => {
      const p = optionAt(d, hasPadding, i);
      const start = walkDnsslNames(d.buf, p, lenOut[0], () => false);
      return o.set(d.buf, start, p + lenOut[0] - start);
    },
  });
}
// RFC 8781 §4: scaled lifetime (13 bits) and prefix length code (3 bits), then the prefix's first 96 bits.
const pref64 = (type: number, len: number): boolean => type === w.OPT_PREF64 && len === 16;
const PLC_NAMES: Readonly<Record<number, string>> = {
  0: '96 bits prefix length', 1: '64 bits prefix length', 2: '56 bits prefix length', 3: '48 bits prefix length',
  4: '40 bits prefix length', 5: '32 bits prefix length',
};
optField({
  name: 'icmpv6.opt.pref64.scaled_lifetime', label: 'Scaled Lifetime', type: FT.UInt, valueBits: 16, pos: 2, len: 2, want: pref64,
  mask: 0xfff8, bitWidth: 16, num: (b, p) => b.readUInt16BE(p + 2) >> 3,
});
optField({
  name: 'icmpv6.opt.pref64.plc', label: 'PLC (Prefix Length Code)', type: FT.Hex, hexDigits: 1, valueBits: 16, pos: 2, len: 2, want: pref64,
  mask: 0x0007, bitWidth: 16, num: (b, p) => b.readUInt16BE(p + 2) & 7,
  display: (b, p) => `${PLC_NAMES[b.readUInt16BE(p + 2) & 7] ?? 'Unknown'} (0x${(b.readUInt16BE(p + 2) & 7).toString(16)})`,
});
// A prefix length code RFC 8781 §4 does not define: tshark flags the option's length as invalid.
{
  const unknownPlc: OptionWanted = (type, len, buf, p) => pref64(type, len) && (buf.readUInt16BE(p + 2) & 7) > 5;
  defineField({
    name: 'icmpv6.invalid_option_length', label: 'Invalid Option Length', type: FT.None, proto: 'icmpv6', parent: 'icmpv6.opt.length',
    expert: { severity: 'Error', group: 'Malformed' }, text: () => 'Invalid Option Length', count: (d) => optionCount(d, unknownPlc), instanceOf: () => 0,
    range: (d, i, o) => o.set(d.buf, optionAt(d, unknownPlc, i) + 1, 1),
  });
}
{
  const prefixBytes = Buffer.alloc(16);
  const MAX_PLC = 5;
  const knownPlc: OptionWanted = (type, len, buf, p) => pref64(type, len) && (buf.readUInt16BE(p + 2) & 7) <= MAX_PLC;
  defineField({
    // Shown only for a prefix length code RFC 8781 §4 defines.
    name: 'icmpv6.opt.pref64.prefix', label: 'Prefix', type: FT.IPv6, proto: 'icmpv6', parent: 'icmpv6.opt', count: (d) => optionCount(d, knownPlc),
    instanceOf: () => 0,
    bytes: (d, i, o) => {
      const p = optionAt(d, knownPlc, i);
      prefixBytes.fill(0);
      d.buf.copy(prefixBytes, 0, p + 4, p + 16);
      return o.set(prefixBytes, 0, 16);
    },
    range: (d, i, o) => o.set(d.buf, optionAt(d, knownPlc, i) + 4, 12),
  });
}
