// ICMP's fields, each declared once, with tshark 4.0's names, types and tree order. A frame has up
// to two ICMP messages (an error and the message its quote holds, nested under it in the tree):
// occurrence i of a field is the i-th message that has it, and `instanceOf` says which message that is.

import { Dissection, Proto } from '../../decode/dissection';
import { protocolNamed } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { absoluteTimeText, secNsecToString, ChecksumStatus, CHECKSUM_STATUS_NAMES } from '../../fields/format';
import type { IcmpLayer } from './layer';
import * as w from './wire';
import { echoMatch } from './echo-match';
import { leaveToData } from '../data';

const layerOf = (d: Dissection): IcmpLayer => protocolNamed('icmp')!.layer(d) as IcmpLayer;
const messages = (d: Dissection): number => (d.hasLayer(Proto.Icmp) ? layerOf(d).count : 0);

type Pred = (d: Dissection, off: number, end: number, k: number) => boolean;

/** The messages of the frame for which `has` holds: how many, which one occurrence i is, and where it starts. */
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
const all = perMessage(() => true);

interface Spec {
  name: string; label: string; type: FT; valueBits?: 8 | 16 | 24 | 32; hexDigits?: number;
  /** Byte position in the message and length. */
  pos: number; len: number;
  has: Pred;
  num?: (d: Dissection, off: number) => number;
  display?: (d: Dissection, off: number) => string;
  parent?: string; mask?: number; bitWidth?: number;
  valueNames?: Readonly<Record<number, string>>;
}

function field(s: Spec): void {
  const sel = perMessage((d, off, end, k) => s.has(d, off, end, k) && end - off >= s.pos + s.len);
  defineField({
    name: s.name, label: s.label, type: s.type, valueBits: s.valueBits, hexDigits: s.hexDigits, proto: 'icmp', count: sel.count,
    instanceOf: sel.instanceOf, parent: s.parent, mask: s.mask, bitWidth: s.bitWidth, valueNames: s.valueNames,
    unit: s.mask !== undefined ? (d, i) => d.buf[sel.at(d, i) + s.pos] : undefined,
    num: s.num ? (d, i) => s.num!(d, sel.at(d, i)) : undefined,
    bytes: s.num ? undefined : (d, i, o) => o.set(d.buf, sel.at(d, i) + s.pos, s.len),
    display: s.display ? (d, i) => s.display!(d, sel.at(d, i)) : undefined,
    range: (d, i, o) => o.set(d.buf, sel.at(d, i) + s.pos, s.len),
  });
}

defineField({
  name: 'icmp', label: 'Internet Control Message Protocol', type: FT.None, proto: 'icmp', count: all.count, instanceOf: all.instanceOf,
  range: (d, i, o) => o.set(d.buf, all.at(d, i), all.endOf(d, i) - all.at(d, i)),
});
const any: Pred = () => true;
field({
  name: 'icmp.type', label: 'Type', type: FT.UInt, valueBits: 8, pos: w.TYPE, len: 1, has: any, num: (d, off) => d.buf[off + w.TYPE],
  display: (d, off) => `${d.buf[off]} (${w.TYPE_NAMES[d.buf[off]] ?? w.UNKNOWN_TYPE})`,
});
field({
  name: 'icmp.code', label: 'Code', type: FT.UInt, valueBits: 8, pos: w.CODE, len: 1, has: any, num: (d, off) => d.buf[off + w.CODE],
  display: (d, off) => {
    const text = w.codeText(d.buf[off], d.buf[off + 1]);
    return text === null ? String(d.buf[off + 1]) : `${d.buf[off + 1]} (${text})`;
  },
});

// Wireshark verifies the checksum when it has the whole message: not a fragment, not cut short by the
// snapshot length, not the message an error quotes.
function checksumVerifiable(d: Dissection, k: number): boolean {
  const L = layerOf(d);
  return k === 0 && L.fragmented[k] === 0 && L.end[k] - L.off[k] >= L.reportedLen[k];
}
const computed = (d: Dissection, off: number, end: number): number => w.internetChecksum(d.buf, off, end);

field({
  name: 'icmp.checksum', label: 'Checksum', type: FT.Hex, hexDigits: 4, valueBits: 16, pos: w.CHECKSUM, len: 2, has: any,
  num: (d, off) => d.buf.readUInt16BE(off + w.CHECKSUM),
  display: (d, off) => {
    const v = `0x${d.buf.readUInt16BE(off + w.CHECKSUM).toString(16).padStart(4, '0')}`;
    const L = layerOf(d);
    const k = L.off[0] === off ? 0 : 1;
    if (!checksumVerifiable(d, k)) return `${v} [unverified]`;
    if (computed(d, off, L.end[k]) === 0) return `${v} [correct]`;
    return `${v} [incorrect]`;
  },
});
const checksumStatus = (d: Dissection, i: number): number => {
  const L = layerOf(d), k = all.instanceOf(d, i);
  if (!checksumVerifiable(d, k)) return ChecksumStatus.Unverified;
  return computed(d, L.off[k], L.end[k]) === 0 ? ChecksumStatus.Good : ChecksumStatus.Bad;
};
defineField({
  name: 'icmp.checksum.status', label: 'Checksum Status', type: FT.UInt, valueBits: 8, proto: 'icmp', generated: true,
  count: all.count, instanceOf: all.instanceOf, num: checksumStatus,
  display: (d, i) => CHECKSUM_STATUS_NAMES[checksumStatus(d, i)],
  range: (d, i, o) => o.set(d.buf, all.at(d, i) + w.CHECKSUM, 0),
});

const identSeq: Pred = (d, off) => w.hasIdentSeq(typeAt(d, off));
const extEcho: Pred = (d, off) => typeAt(d, off) === w.EXT_ECHO_REQUEST || typeAt(d, off) === w.EXT_ECHO_REPLY;
const decHex = (v: number): string => `${v} (0x${v.toString(16).padStart(4, '0')})`;
field({
  name: 'icmp.ident', label: 'Identifier (BE)', type: FT.UInt, valueBits: 16, pos: w.IDENT, len: 2, has: (d, o, e, k) => identSeq(d, o, e, k) || extEcho(d, o, e, k),
  num: (d, off) => d.buf.readUInt16BE(off + w.IDENT), display: (d, off) => decHex(d.buf.readUInt16BE(off + w.IDENT)),
});
field({
  name: 'icmp.ident_le', label: 'Identifier (LE)', type: FT.UInt, valueBits: 16, pos: w.IDENT, len: 2, has: (d, o, e, k) => identSeq(d, o, e, k) || extEcho(d, o, e, k),
  num: (d, off) => d.buf.readUInt16LE(off + w.IDENT), display: (d, off) => decHex(d.buf.readUInt16LE(off + w.IDENT)),
});
field({
  name: 'icmp.seq', label: 'Sequence Number (BE)', type: FT.UInt, valueBits: 16, pos: w.SEQ, len: 2, has: identSeq,
  num: (d, off) => d.buf.readUInt16BE(off + w.SEQ), display: (d, off) => decHex(d.buf.readUInt16BE(off + w.SEQ)),
});
field({
  name: 'icmp.seq_le', label: 'Sequence Number (LE)', type: FT.UInt, valueBits: 16, pos: w.SEQ, len: 2, has: identSeq,
  num: (d, off) => d.buf.readUInt16LE(off + w.SEQ), display: (d, off) => decHex(d.buf.readUInt16LE(off + w.SEQ)),
});

// RFC 8335 §2/§3: after the identifier, an 8-bit sequence number and a flags byte.
const EXT_SEQ = 6, EXT_FLAGS = 7;
field({
  name: 'icmp.ext.echo.seq', label: 'Sequence Number', type: FT.UInt, valueBits: 8, pos: EXT_SEQ, len: 1, has: extEcho,
  num: (d, off) => d.buf[off + EXT_SEQ], display: (d, off) => `${d.buf[off + EXT_SEQ]} (0x${d.buf[off + EXT_SEQ].toString(16).padStart(2, '0')})`,
});
const extRequest: Pred = (d, off) => typeAt(d, off) === w.EXT_ECHO_REQUEST;
const extReply: Pred = (d, off) => typeAt(d, off) === w.EXT_ECHO_REPLY;
const STATE_NAMES: Readonly<Record<number, string>> = { 0: 'Reserved', 1: 'Incomplete', 2: 'Reachable', 3: 'Stale', 4: 'Delay', 5: 'Probe', 6: 'Failed' };
for (const [name, label, mask, has, type, names] of [
  ['icmp.ext.echo.req.res', 'Reserved', 0xfe, extRequest, FT.Hex, undefined],
  ['icmp.ext.echo.req.local', 'Local bit', 0x01, extRequest, FT.Bool, undefined],
  ['icmp.ext.echo.rsp.state', 'State', 0xe0, extReply, FT.UInt, STATE_NAMES],
  ['icmp.ext.echo.rsp.res', 'Reserved', 0x18, extReply, FT.Hex, undefined],
  ['icmp.ext.echo.rsp.active', 'Active', 0x04, extReply, FT.Bool, undefined],
  ['icmp.ext.echo.rsp.ipv4', 'IPv4', 0x02, extReply, FT.Bool, undefined],
  ['icmp.ext.echo.rsp.ipv6', 'IPv6', 0x01, extReply, FT.Bool, undefined],
] as const) {
  let shift = 0;
  while (((mask >> shift) & 1) === 0) shift++;
  field({
    name, label, type, valueBits: type === FT.Bool ? undefined : 8, hexDigits: 2, pos: EXT_FLAGS, len: 1, has, mask, bitWidth: 8,
    valueNames: names, num: (d, off) => (d.buf[off + EXT_FLAGS] & mask) >> shift,
  });
}

// The second word of the error messages (RFC 792): unused, but for the next hop's MTU (RFC 1191),
// the gateway of a redirect, and the pointer of a parameter problem.
const fragNeeded: Pred = (d, off) => typeAt(d, off) === w.UNREACHABLE && d.buf[off + w.CODE] === w.CODE_FRAG_NEEDED;
const unusedWord: Pred = (d, off, end, k) => {
  const t = typeAt(d, off);
  return (t === w.UNREACHABLE && !fragNeeded(d, off, end, k)) || t === w.TIME_EXCEEDED || t === w.SOURCE_QUENCH;
};
const unused = perMessage((d, off, end, k) => end - off >= w.HEADER_LEN && (unusedWord(d, off, end, k) || fragNeeded(d, off, end, k)));
const unusedSpan = (d: Dissection, i: number, o: Span): true => {
  const off = unused.at(d, i);
  return o.set(d.buf, off + 4, fragNeeded(d, off, 0, 0) ? 2 : 4);
};
defineField({ name: 'icmp.unused', label: 'Unused', type: FT.Bytes, proto: 'icmp', count: unused.count, instanceOf: unused.instanceOf, bytes: unusedSpan, range: unusedSpan });
field({ name: 'icmp.mtu', label: 'MTU of next hop', type: FT.UInt, valueBits: 16, pos: 6, len: 2, has: fragNeeded, num: (d, off) => d.buf.readUInt16BE(off + 6) });
field({
  name: 'icmp.pointer', label: 'Pointer', type: FT.UInt, valueBits: 32, pos: 4, len: 1, has: (d, off) => typeAt(d, off) === w.PARAMETER_PROBLEM,
  num: (d, off) => d.buf[off + 4],
});
field({
  name: 'icmp.redir_gw', label: 'Gateway Address', type: FT.IPv4, pos: 4, len: 4, has: (d, off) => typeAt(d, off) === w.REDIRECT,
  num: (d, off) => d.buf.readUInt32BE(off + 4),
});

// RFC 792: the three timestamps of a timestamp request or reply, milliseconds since midnight UTC.
const timestamps: Pred = (d, off) => typeAt(d, off) === w.TIMESTAMP_REQUEST || typeAt(d, off) === w.TIMESTAMP_REPLY;
for (const [name, label, pos] of [
  ['icmp.originate_timestamp', 'Originate timestamp', 8], ['icmp.receive_timestamp', 'Receive timestamp', 12],
  ['icmp.transmit_timestamp', 'Transmit timestamp', 16],
] as const) {
  field({ name, label, type: FT.UInt, valueBits: 32, pos, len: 4, has: timestamps, num: (d, off) => d.buf.readUInt32BE(off + pos) });
}
field({
  name: 'icmp.address_mask', label: 'Address Mask', type: FT.IPv4, pos: 8, len: 4,
  has: (d, off) => typeAt(d, off) === w.MASK_REQUEST || typeAt(d, off) === w.MASK_REPLY, num: (d, off) => d.buf.readUInt32BE(off + 8),
});

// The echo matching stage's results (a reply names its request), on the frame's own message only.
const matched = (d: Dissection): boolean => {
  const m = echoMatch.peek(d);
  return m !== undefined && m.number === d.number && m.requestIn > 0 && d.hasLayer(Proto.Icmp) && !d.inIcmpError;
};
defineField({
  name: 'icmp.resp_to', label: 'Request frame', type: FT.UInt, ftype: 'FT_FRAMENUM', valueBits: 32, proto: 'icmp', generated: true, count: (d) => (matched(d) ? 1 : 0),
  instanceOf: () => 0, num: (d) => echoMatch.of(d).requestIn, range: (d, _i, o) => o.set(d.buf, layerOf(d).off[0], 0),
});
defineField({
  name: 'icmp.resptime', label: 'Response time', type: FT.Double, proto: 'icmp', generated: true, count: (d) => (matched(d) ? 1 : 0),
  instanceOf: () => 0, num: (d) => Math.round(echoMatch.of(d).respTimeMs * 1e6) / 1e6,
  display: (d) => `${Math.round(echoMatch.of(d).respTimeMs * 1e6) / 1e6} ms`, range: (d, _i, o) => o.set(d.buf, layerOf(d).off[0], 0),
});

// Wireshark reads the first 8 bytes of an echo's data as the sender's clock (struct timeval, as ping
// writes it): seconds and microseconds, big-endian or else little-endian, taken when they lie within
// a day of the capture time.
const SECONDS_PER_DAY = 86400;
const echo: Pred = (d, off) => typeAt(d, off) === w.ECHO_REQUEST || typeAt(d, off) === w.ECHO_REPLY;
function dataTime(d: Dissection, off: number, end: number, out: Int32Array): boolean {
  if (end - off < w.HEADER_LEN + 8) return false;
  const p = off + w.HEADER_LEN;
  let sec = d.buf.readUInt32BE(p), usec = d.buf.readUInt32BE(p + 4);
  const near = (s: number): boolean => Math.abs(s - d.tsSec) < SECONDS_PER_DAY;
  if (!near(sec) || usec >= 1e6) {
    sec = d.buf.readUInt32LE(p);
    usec = d.buf.readUInt32LE(p + 4);
  }
  if (!near(sec) || usec >= 1e6) return false;
  out[0] = sec;
  out[1] = usec * 1000;
  return true;
}
const ts = new Int32Array(2);
const hasDataTime = perMessage((d, off, end) => echo(d, off, end, 0) && dataTime(d, off, end, ts));
defineField({
  name: 'icmp.data_time', label: 'Timestamp from icmp data', type: FT.AbsTime, proto: 'icmp', count: hasDataTime.count, instanceOf: hasDataTime.instanceOf,
  num: (d, i) => (dataTime(d, hasDataTime.at(d, i), hasDataTime.endOf(d, i), ts) ? ts[0] + ts[1] / 1e9 : 0),
  text: (d, i) => (dataTime(d, hasDataTime.at(d, i), hasDataTime.endOf(d, i), ts) ? absoluteTimeText(ts[0], ts[1]) : ''),
  range: (d, i, o) => o.set(d.buf, hasDataTime.at(d, i) + w.HEADER_LEN, 8),
});
defineField({
  name: 'icmp.data_time_relative', label: 'Timestamp from icmp data (relative)', type: FT.RelTime, proto: 'icmp', count: hasDataTime.count,
  instanceOf: hasDataTime.instanceOf, generated: true,
  num: (d, i) => (dataTime(d, hasDataTime.at(d, i), hasDataTime.endOf(d, i), ts) ? d.tsSec - ts[0] + (d.tsNsec - ts[1]) / 1e9 : 0),
  text: (d, i) => (dataTime(d, hasDataTime.at(d, i), hasDataTime.endOf(d, i), ts) ? secNsecToString(d.tsSec - ts[0], d.tsNsec - ts[1]) : ''),
  display: (d, i) => (dataTime(d, hasDataTime.at(d, i), hasDataTime.endOf(d, i), ts) ? `${secNsecToString(d.tsSec - ts[0], d.tsNsec - ts[1])} seconds` : ''),
  range: (d, i, o) => o.set(d.buf, hasDataTime.at(d, i) + w.HEADER_LEN, 8),
});

// The echo's data, which Wireshark hands to its data dissector inside the ICMP tree
// (src/protocols/data): after the timestamp tshark reads from it, when it has one.
const dataStart = (d: Dissection, off: number, end: number): number => off + w.HEADER_LEN + (dataTime(d, off, end, ts) ? 8 : 0);
leaveToData(Proto.Icmp, (d, o) => {
  const L = layerOf(d), k = L.count - 1;
  if (k < 0 || !echo(d, L.off[k], L.end[k], k)) return false;
  const start = dataStart(d, L.off[k], L.end[k]);
  return L.end[k] > start && o.set(d.buf, start, L.end[k] - start);
});
