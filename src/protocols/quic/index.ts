// QUIC (RFC 9000, 9001, 9369) as tshark 4.0 shows it without a key log: found on any UDP port by
// Wireshark's heuristic (a long header of a version QUIC reads; a short header whose DCID names a
// connection already seen; any datagram of a UDP conversation that carried QUIC), the Protocol
// column `QUIC`, and the Info column of the datagram's last packet: `Initial, DCID=…, PKN: 0,
// CRYPTO, PADDING` for a decrypted Initial, `Handshake, SCID=…`, `Protected Payload (KP0), DCID=…`,
// `Version Negotiation, SCID=…`, `Retry, …`. Coalesced packets each get their tree node; as in
// tshark, each packet sets the Info column anew, so the last one names the datagram.
//
// QUIC holds no port: tshark 4.0 leaves its udp.port preference empty and finds QUIC only by the
// heuristic, so a datagram to port 443 that fails it (a short header of a connection whose start
// was not captured) stays UDP data, in tshark and here.
//
// The decode step (wire.ts) reads the headers; the analysis stage (stage.ts) ties datagrams to
// connections in frame order and decrypts Initials, once (initial.ts derives their keys; the TLS
// analyzer, whose stage runs after this one, reads the Client and Server Hellos in the CRYPTO frames
// of the stage's plaintexts with the same file's reader).

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { fragmentLine, fragmentsHeading } from '../../fields/fragments';
import { registerStage } from '../../hooks';
import { conversationKey, endpoint, Found } from './connections';
import { cryptoFrameAt, FrameType, frameInfoWord, packetOfFrame, quicConnections, QuicAnalyzer, QuicPackets, resultsOf } from './stage';
import {
  FIXED_BIT, HEADER_FORM_LONG, Kind, KIND_NAMES, LONG_DCID_OFF, LONG_TYPE_MASK, MAX_CID_LEN, QuicLayer, SPIN_BIT,
  looksLikeLongHeader, readDatagram, varintAt, varintSize,
} from './wire';
import { QUIC_V2, QuicCryptoHandoffs, quicCryptoHandoffs } from './initial';

/** Wireshark's short-header heuristic needs the first byte, a DCID byte, a packet number byte and a 16-byte tag. */
const MIN_SHORT_HEURISTIC = 1 + 1 + 1 + 16;
/** tshark reads a short header's DCID as 20 bytes before it knows the length: a shorter datagram is malformed to it. */
const MIN_SHORT_PACKET = 1 + MAX_CID_LEN;

const found = new Found();

/** Whether the UDP payload [off, end) is QUIC as Wireshark's UDP dissector would find it. */
function isQuic(d: Dissection, off: number, end: number): boolean {
  if (end <= off || d.inIcmpError) return false;
  const table = quicConnections.peek(d) ?? null;
  const short = (d.buf[off] & HEADER_FORM_LONG) === 0;
  if (table !== null && table.hasConversations() && table.isQuicConversation(conversationKey(d))) return !short || end - off >= MIN_SHORT_PACKET;
  if (!short) return looksLikeLongHeader(d.buf, off, end);
  if (table === null || table.cidLengths === 0 || end - off < MIN_SHORT_HEURISTIC) return false;
  const n = Math.min(MAX_CID_LEN, end - off - MIN_SHORT_HEURISTIC + 1);
  table.findShort(d.buf.toString('hex', off + 1, off + 1 + n), conversationKey(d), endpoint(d, true), found);
  return found.conn !== null && end - off >= MIN_SHORT_PACKET;
}

export const quic = registerProtocol({
  name: 'quic',
  label: 'QUIC',
  makeLayer: () => new QuicLayer(),
  udpHeuristic: isQuic,
  decode(d: Dissection, layer: QuicLayer, off: number, end: number, id: number): number {
    readDatagram(layer, d.buf, off, end);
    d.pushLayer(id, off);
    for (let k = 0; k < layer.count; k++) if (layer.truncated[k] !== 0) d.markMalformed(Malformed.Application, id);
    return Proto.None;
  },
  info: (d, layer) => quicInfo(d, layer),
});

registerStage({
  name: 'quic',
  after: [],
  make: () => new QuicAnalyzer(() => quic.id, (d) => quic.layer(d)),
});

const results = resultsOf;

/** Packets dissected in the frame (tshark stops at padding after the packets that share a DCID). */
function validPackets(d: Dissection): number {
  if (!d.hasLayer(quic.id)) return 0;
  const r = results(d);
  return r !== null ? r.valid : quic.layer(d).count;
}

const L = (d: Dissection): QuicLayer => quic.layer(d);
const pktEnd = (l: QuicLayer, k: number): number => l.pktOff[k] + l.pktLen[k];
const isLong = (l: QuicLayer, k: number): boolean => l.kind[k] !== Kind.Short;
/** The long header's CIDs as tshark appends them (an over-long one is not shown). */
const dcidShown = (l: QuicLayer, k: number): boolean => l.dcil[k] > 0 && l.dcil[k] <= MAX_CID_LEN && cidsRead(l, k);
const scidShown = (l: QuicLayer, k: number): boolean => l.scil[k] > 0 && l.scil[k] <= MAX_CID_LEN && cidsRead(l, k);
/** Both Connection IDs lie within the packet (tshark appends them to Info once both are read). */
const cidsRead = (l: QuicLayer, k: number): boolean => l.scidOff[k] >= 0 && l.scidOff[k] + l.scil[k] <= pktEnd(l, k);

function packetInfo(d: Dissection, l: QuicLayer, r: QuicPackets | null, k: number): string {
  const buf = d.buf;
  const p = l.pktOff[k];
  const kind = l.kind[k] as Kind;
  if (kind === Kind.Short) {
    const n = r !== null ? r.dcidLen[k] : 0;
    return 'Protected Payload (KP0)' + (n > 0 ? ', DCID=' + buf.toString('hex', p + 1, p + 1 + n) : '');
  }
  let s = KIND_NAMES[kind];
  if (l.scil[k] < 0 && l.dcil[k] < 0) return s;
  if (dcidShown(l, k)) s += ', DCID=' + buf.toString('hex', p + LONG_DCID_OFF, p + LONG_DCID_OFF + l.dcil[k]);
  if (scidShown(l, k)) s += ', SCID=' + buf.toString('hex', l.scidOff[k], l.scidOff[k] + l.scil[k]);
  if (r !== null && r.pkn[k] >= 0) {
    s += ', PKN: ' + r.pkn[k];
    for (let j = r.frameFirst[k]; j < r.frameFirst[k] + r.frameCount[k]; j++) {
      const w = frameInfoWord(r.frameType[j], r.frameId[j]);
      if (w !== '') s += ', ' + w;
    }
  }
  return s;
}

function quicInfo(d: Dissection, l: QuicLayer): string | null {
  const n = validPackets(d);
  if (n === 0) return null;
  return packetInfo(d, l, results(d), n - 1);
}

// ---- fields ----

/** A version as tshark names it (packet-quic.c quic_version_vals, the common entries). */
function versionName(v: number): string {
  if (v === 0) return 'Version Negotiation';
  if (v === 1) return '1';
  if (v === QUIC_V2) return '2';
  if (v >>> 8 === 0xff0000 && (v & 0xff) >= 4 && (v & 0xff) <= 34) return 'draft-' + String(v & 0xff).padStart(2, '0');
  if (v === 0x51303530) return 'Google Q050';
  if (v === 0x54303530) return 'Google T050';
  if (v === 0x54303531) return 'Google T051';
  if (v === 0xfaceb001) return 'Facebook mvfst (draft-22)';
  if (v === 0xfaceb002) return 'Facebook mvfst (draft-27)';
  if (v === 0xfaceb00e) return 'Facebook mvfst (Experimental)';
  return 'Unknown';
}

/** Which packet (of the valid ones) occurrence i of a per-packet field falls in; -1 past the last. */
function nthPacket(d: Dissection, i: number, keep: (l: QuicLayer, k: number, r: QuicPackets | null) => boolean): number {
  const n = validPackets(d), l = L(d), r = results(d);
  for (let k = 0; k < n; k++) if (keep(l, k, r) && i-- === 0) return k;
  return -1;
}

function countPackets(d: Dissection, keep: (l: QuicLayer, k: number, r: QuicPackets | null) => boolean): number {
  const n = validPackets(d), l = L(d), r = results(d);
  let c = 0;
  for (let k = 0; k < n; k++) if (keep(l, k, r)) c++;
  return c;
}

type Keep = (l: QuicLayer, k: number, r?: QuicPackets | null) => boolean;

interface PacketField {
  name: string;
  label: string;
  type: FT;
  valueBits?: 8 | 16 | 24 | 32 | 64;
  hexDigits?: number;
  keep: Keep;
  num?: (d: Dissection, l: QuicLayer, k: number, r: QuicPackets | null) => number;
  /** Bytes of the value (bytes fields) or covered (others): [off, len]. */
  at?: (d: Dissection, l: QuicLayer, k: number, r: QuicPackets | null) => [number, number];
  mask?: number;
  bitWidth?: number;
  parent?: string;
  generated?: boolean;
  valueNames?: Readonly<Record<number, string>>;
  display?: (d: Dissection, l: QuicLayer, k: number) => string;
  heading?: (d: Dissection, l: QuicLayer, k: number, r: QuicPackets | null) => string;
  /** Packets whose occurrence goes under the parent; the others stand directly under their packet's node. */
  underParent?: Keep;
}

/** A field that occurs once in each packet `keep` selects, under that packet's node. */
function packetField(f: PacketField): void {
  const pkt = (d: Dissection, i: number): number => nthPacket(d, i, f.keep);
  defineField({
    name: f.name, label: f.label, type: f.type, proto: 'quic', valueBits: f.valueBits, hexDigits: f.hexDigits,
    mask: f.mask, bitWidth: f.bitWidth, parent: f.parent, generated: f.generated, valueNames: f.valueNames,
    count: (d) => countPackets(d, f.keep),
    num: f.num !== undefined ? (d, i) => { const k = pkt(d, i); return k < 0 ? 0 : f.num!(d, L(d), k, results(d)); } : undefined,
    bytes: f.type === FT.Bytes && f.at !== undefined ? (d, i, o: Span) => {
      const k = pkt(d, i);
      if (k < 0) return false;
      const [off, len] = f.at!(d, L(d), k, results(d));
      return o.set(d.buf, off, len);
    } : undefined,
    range: f.at !== undefined ? (d, i, o: Span) => {
      const k = pkt(d, i);
      if (k < 0) return false;
      const [off, len] = f.at!(d, L(d), k, results(d));
      return off >= 0 ? o.set(d.buf, off, len) : false;
    } : undefined,
    instanceOf: (d, i) => pkt(d, i),
    display: f.display !== undefined ? (d, i) => { const k = pkt(d, i); return k < 0 ? '' : f.display!(d, L(d), k); } : undefined,
    heading: f.heading !== undefined ? (d, i) => { const k = pkt(d, i); return k < 0 ? '' : f.heading!(d, L(d), k, results(d)); } : undefined,
    parentOf: f.underParent !== undefined ? (d, i) => {
      const k = pkt(d, i);
      const l = L(d), r = results(d);
      if (k < 0 || !f.underParent!(l, k, r)) return -1;
      let j = 0;
      for (let m = 0; m < k; m++) if (f.underParent!(l, m, r)) j++;
      return j;
    } : undefined,
  });
}

const all: Keep = () => true;
const shortPkt: Keep = (l, k) => !isLong(l, k);
const typed: Keep = (l, k) => isLong(l, k) && l.kind[k] !== Kind.VersionNegotiation && l.dcil[k] >= 0;
const first = (d: Dissection, l: QuicLayer, k: number): number => d.buf[l.pktOff[k]];
const byteAt = (l: QuicLayer, k: number): [number, number] => [l.pktOff[k], 1];
/** tshark draws QUIC's flag bits as True / False. */
const trueFalse = (bit: number) => (d: Dissection, l: QuicLayer, k: number): string => ((first(d, l, k) & bit) !== 0 ? 'True' : 'False');
/** A short header's fields stand in its "QUIC Short Header" subtree. */
const SHORT_HEADER = { parent: 'quic.short', underParent: shortPkt };

/** The QUIC tree: one node per packet of the datagram (and one for padding that follows them), as tshark draws them. */
defineField({
  name: 'quic', label: 'QUIC IETF', type: FT.None, proto: 'quic', heading: () => 'QUIC IETF', text: () => 'quic',
  count: (d) => {
    const r = results(d);
    return validPackets(d) + (r !== null && r.padding ? 1 : 0);
  },
  range: (d, i, o) => {
    const l = L(d);
    if (i < l.count) return o.set(d.buf, l.pktOff[i], l.pktLen[i]);
    return i > 0 ? o.set(d.buf, pktEnd(l, i - 1), l.end - pktEnd(l, i - 1)) : false;
  },
});
const hasConnection = (d: Dissection): number => (d.hasLayer(quic.id) && (results(d)?.connection ?? -1) >= 0 ? 1 : 0);
defineField({
  name: '_text.quic.connection_info', label: 'QUIC Connection information', type: FT.None, proto: 'quic', textNode: true,
  count: hasConnection, text: () => 'QUIC Connection information', instanceOf: () => 0,
});
defineField({
  name: 'quic.connection.number', label: 'Connection Number', type: FT.UInt, valueBits: 32, proto: 'quic', generated: true,
  parent: '_text.quic.connection_info', parentOf: () => 0,
  count: hasConnection,
  num: (d) => results(d)!.connection,
  instanceOf: () => 0,
});
packetField({
  name: 'quic.packet_length', label: 'Packet Length', type: FT.UInt, valueBits: 32, keep: all, generated: true,
  num: (_d, l, k) => l.pktLen[k],
});
packetField({
  name: 'quic.header_form', label: 'Header Form', type: FT.UInt, valueBits: 8, keep: all, mask: HEADER_FORM_LONG, bitWidth: 8,
  num: (d, l, k) => (first(d, l, k) & HEADER_FORM_LONG) >> 7, at: (_d, l, k) => byteAt(l, k),
  valueNames: { 0: 'Short Header', 1: 'Long Header' }, ...SHORT_HEADER,
});
packetField({
  name: 'quic.short', label: 'QUIC Short Header', type: FT.None, keep: shortPkt, at: (_d, l, k) => [l.pktOff[k], l.pktLen[k]],
  heading: (d, l, k, r) => {
    const n = r !== null ? r.dcidLen[k] : 0;
    return 'QUIC Short Header' + (n > 0 ? ' DCID=' + d.buf.toString('hex', l.pktOff[k] + 1, l.pktOff[k] + 1 + n) : '');
  },
});
packetField({
  name: 'quic.fixed_bit', label: 'Fixed Bit', type: FT.Bool, keep: (l, k) => l.kind[k] !== Kind.VersionNegotiation, mask: FIXED_BIT, bitWidth: 8,
  num: (d, l, k) => ((first(d, l, k) & FIXED_BIT) !== 0 ? 1 : 0), at: (_d, l, k) => byteAt(l, k),
  display: trueFalse(FIXED_BIT), ...SHORT_HEADER,
});
packetField({
  name: 'quic.spin_bit', label: 'Spin Bit', type: FT.Bool, keep: shortPkt, mask: SPIN_BIT, bitWidth: 8,
  num: (d, l, k) => ((first(d, l, k) & SPIN_BIT) !== 0 ? 1 : 0), at: (_d, l, k) => byteAt(l, k),
  display: trueFalse(SPIN_BIT), ...SHORT_HEADER,
});
const LONG_TYPES_V1 = { 0: 'Initial', 1: '0-RTT', 2: 'Handshake', 3: 'Retry' };
const LONG_TYPES_V2 = { 0: 'Retry', 1: 'Initial', 2: '0-RTT', 3: 'Handshake' };
packetField({
  name: 'quic.long.packet_type', label: 'Packet Type', type: FT.UInt, valueBits: 8, mask: LONG_TYPE_MASK, bitWidth: 8,
  keep: (l, k) => typed(l, k) && l.version[k] !== QUIC_V2, valueNames: LONG_TYPES_V1,
  num: (d, l, k) => (first(d, l, k) & LONG_TYPE_MASK) >> 4, at: (_d, l, k) => byteAt(l, k),
});
packetField({
  name: 'quic.long.packet_type_v2', label: 'Packet Type', type: FT.UInt, valueBits: 8, mask: LONG_TYPE_MASK, bitWidth: 8,
  keep: (l, k) => typed(l, k) && l.version[k] === QUIC_V2, valueNames: LONG_TYPES_V2,
  num: (d, l, k) => (first(d, l, k) & LONG_TYPE_MASK) >> 4, at: (_d, l, k) => byteAt(l, k),
});
/** Long headers whose protection the stage removed: the first byte's protected bits are known. */
const unprotected: Keep = (l, k, r) => isLong(l, k) && r != null && r.pkn[k] >= 0;
packetField({
  name: 'quic.long.reserved', label: 'Reserved', type: FT.UInt, valueBits: 8, mask: 0x0c, bitWidth: 8, keep: unprotected,
  num: (_d, _l, k, r) => (r!.firstByte[k] & 0x0c) >> 2, at: (_d, l, k) => byteAt(l, k),
});
packetField({
  name: 'quic.packet_number_length', label: 'Packet Number Length', type: FT.UInt, valueBits: 8, mask: 0x03, bitWidth: 8, keep: unprotected,
  num: (_d, _l, k, r) => r!.firstByte[k] & 0x03, at: (_d, l, k) => byteAt(l, k),
  valueNames: { 0: '1 bytes', 1: '2 bytes', 2: '3 bytes', 3: '4 bytes' },
});
packetField({
  name: 'quic.vn.unused', label: 'Unused', type: FT.Hex, hexDigits: 2, valueBits: 8, mask: 0x7f, bitWidth: 8,
  keep: (l, k) => l.kind[k] === Kind.VersionNegotiation,
  num: (d, l, k) => first(d, l, k) & 0x7f, at: (_d, l, k) => byteAt(l, k),
});
packetField({
  name: 'quic.version', label: 'Version', type: FT.Hex, hexDigits: 8, valueBits: 32, keep: (l, k) => isLong(l, k) && pktEnd(l, k) - l.pktOff[k] >= 5,
  num: (_d, l, k) => l.version[k], at: (_d, l, k) => [l.pktOff[k] + 1, 4],
  display: (_d, l, k) => `${versionName(l.version[k])} (0x${l.version[k].toString(16).padStart(8, '0')})`,
});
packetField({
  name: 'quic.dcil', label: 'Destination Connection ID Length', type: FT.UInt, valueBits: 8, keep: (l, k) => isLong(l, k) && l.dcil[k] >= 0,
  num: (_d, l, k) => l.dcil[k], at: (_d, l, k) => [l.pktOff[k] + 5, 1],
});
/** The DCID: a long header's when its length is not 0, a short header's when its connection gives it a length. */
const dcidOf = (l: QuicLayer, k: number, r: QuicPackets | null): [number, number] =>
  isLong(l, k) ? [l.pktOff[k] + LONG_DCID_OFF, Math.min(l.dcil[k], pktEnd(l, k) - l.pktOff[k] - LONG_DCID_OFF)] : [l.pktOff[k] + 1, r !== null ? r.dcidLen[k] : 0];
packetField({
  name: 'quic.dcid', label: 'Destination Connection ID', type: FT.Bytes,
  keep: (l, k, r) => (isLong(l, k) ? l.dcil[k] > 0 : r != null && r.dcidLen[k] > 0), at: (_d, l, k, r) => dcidOf(l, k, r),
  ...SHORT_HEADER,
});
packetField({
  name: 'quic.scil', label: 'Source Connection ID Length', type: FT.UInt, valueBits: 8, keep: (l, k) => isLong(l, k) && l.scil[k] >= 0,
  num: (_d, l, k) => l.scil[k], at: (_d, l, k) => [l.scidOff[k] - 1, 1],
});
packetField({
  name: 'quic.scid', label: 'Source Connection ID', type: FT.Bytes, keep: (l, k) => isLong(l, k) && l.scil[k] > 0,
  at: (_d, l, k) => [l.scidOff[k], Math.min(l.scil[k], pktEnd(l, k) - l.scidOff[k])],
});
packetField({
  name: 'quic.token_length', label: 'Token Length', type: FT.UInt, valueBits: 64, keep: (l, k) => l.tokenLenOff[k] >= 0,
  num: (_d, l, k) => l.tokenLen[k], at: (d, l, k) => [l.tokenLenOff[k], varintSize(d.buf[l.tokenLenOff[k]])],
});
packetField({
  name: 'quic.token', label: 'Token', type: FT.Bytes, keep: (l, k) => l.tokenLenOff[k] >= 0 && l.tokenLen[k] > 0 && l.lengthOff[k] >= 0,
  at: (d, l, k) => { const o = l.tokenLenOff[k] + varintSize(d.buf[l.tokenLenOff[k]]); return [o, l.tokenLen[k]]; },
});
packetField({
  name: 'quic.length', label: 'Length', type: FT.UInt, valueBits: 64, keep: (l, k) => l.lengthOff[k] >= 0,
  num: (_d, l, k) => l.length[k], at: (d, l, k) => [l.lengthOff[k], varintSize(d.buf[l.lengthOff[k]])],
});
packetField({
  name: 'quic.packet_number', label: 'Packet Number', type: FT.UInt, valueBits: 64, keep: unprotected,
  num: (_d, _l, k, r) => r!.pkn[k], at: (_d, l, k, r) => [l.pnOff[k], r!.pnLen[k]],
});
packetField({
  name: 'quic.payload', label: 'Payload', type: FT.Bytes, keep: unprotected,
  at: (_d, l, k, r) => [l.pnOff[k] + r!.pnLen[k], pktEnd(l, k) - l.pnOff[k] - r!.pnLen[k]],
});
/** What tshark leaves undissected in a packet: the protected part of one whose protection stays on. */
const remainingOf = (l: QuicLayer, k: number, r: QuicPackets | null): number => {
  const kind = l.kind[k] as Kind;
  if (kind === Kind.Short) return l.pktOff[k] + 1 + (r !== null ? r.dcidLen[k] : 0);
  if (kind === Kind.VersionNegotiation || kind === Kind.Retry || l.pnOff[k] < 0) return -1;
  return r !== null && r.pkn[k] >= 0 ? -1 : l.pnOff[k];
};
packetField({
  name: 'quic.remaining_payload', label: 'Remaining Payload', type: FT.Bytes,
  keep: (l, k, r) => { const o = remainingOf(l, k, r ?? null); return o >= 0 && o < pktEnd(l, k); },
  at: (_d, l, k, r) => { const o = remainingOf(l, k, r); return [o, pktEnd(l, k) - o]; },
});

// Version Negotiation: the versions the server supports (RFC 9000 §17.2.1), every 4 bytes to the end.
const vnStart = (l: QuicLayer, k: number): number => l.scidOff[k] + l.scil[k];
function supportedVersion(d: Dissection, i: number): [number, number] {
  const n = validPackets(d), l = L(d);
  for (let k = 0; k < n; k++) {
    if (l.kind[k] !== Kind.VersionNegotiation || l.scidOff[k] < 0) continue;
    const here = Math.floor(Math.max(0, pktEnd(l, k) - vnStart(l, k)) / 4);
    if (i < here) return [k, vnStart(l, k) + 4 * i];
    i -= here;
  }
  return [-1, -1];
}
defineField({
  name: 'quic.supported_version', label: 'Supported Version', type: FT.Hex, hexDigits: 8, valueBits: 32, proto: 'quic',
  count: (d) => {
    const n = validPackets(d), l = L(d);
    let c = 0;
    for (let k = 0; k < n; k++) if (l.kind[k] === Kind.VersionNegotiation && l.scidOff[k] >= 0) c += Math.floor(Math.max(0, pktEnd(l, k) - vnStart(l, k)) / 4);
    return c;
  },
  num: (d, i) => { const [, at] = supportedVersion(d, i); return at < 0 ? 0 : d.buf.readUInt32BE(at); },
  range: (d, i, o) => { const [, at] = supportedVersion(d, i); return at >= 0 ? o.set(d.buf, at, 4) : false; },
  instanceOf: (d, i) => supportedVersion(d, i)[0],
});

// Retry (RFC 9000 §17.2.5): the token, then the 16-byte integrity tag.
const retryPkt: Keep = (l, k) => l.kind[k] === Kind.Retry && l.scidOff[k] >= 0 && pktEnd(l, k) >= l.scidOff[k] + l.scil[k];
const retryTokenLen = (l: QuicLayer, k: number): number => { const n = pktEnd(l, k) - (l.scidOff[k] + l.scil[k]); return n >= 16 ? n - 16 : n; };
packetField({ name: 'quic.retry_token', label: 'Retry Token', type: FT.Bytes, keep: (l, k) => retryPkt(l, k) && retryTokenLen(l, k) > 0, at: (_d, l, k) => [l.scidOff[k] + l.scil[k], retryTokenLen(l, k)] });
packetField({
  name: 'quic.retry_integrity_tag', label: 'Retry Integrity Tag', type: FT.Bytes, keep: (l, k) => retryPkt(l, k) && pktEnd(l, k) - (l.scidOff[k] + l.scil[k]) >= 16,
  at: (_d, l, k) => [pktEnd(l, k) - 16, 16],
});

// Frames of decrypted packets, each a subtree as tshark draws it: the frame's name, its type, and
// the values Initial packets carry (PADDING's length, ACK's, CRYPTO's offset and length). Their
// bytes are the plaintext, not the frame's, so they carry no byte range.

const frameCount = (d: Dissection): number => {
  const r = d.hasLayer(quic.id) ? results(d) : null;
  if (r === null) return 0;
  let c = 0;
  for (let k = 0; k < r.valid; k++) c += r.frameCount[k];
  return c;
};

/** The frame type's name (packet-quic.c quic_frame_type_vals). */
function frameTypeName(t: number): string {
  switch (t) {
    case FrameType.Padding: return 'PADDING';
    case FrameType.Ping: return 'PING';
    case FrameType.Ack: case FrameType.AckEcn: return 'ACK';
    case FrameType.ResetStream: return 'RESET_STREAM';
    case FrameType.StopSending: return 'STOP_SENDING';
    case FrameType.Crypto: return 'CRYPTO';
    case FrameType.NewToken: return 'NEW_TOKEN';
    case FrameType.MaxData: return 'MAX_DATA';
    case FrameType.MaxStreamData: return 'MAX_STREAM_DATA';
    case FrameType.MaxStreamsBidi: return 'MAX_STREAMS (BIDI)';
    case FrameType.MaxStreamsUni: return 'MAX_STREAMS (UNI)';
    case FrameType.DataBlocked: return 'DATA_BLOCKED';
    case FrameType.StreamDataBlocked: return 'STREAM_DATA_BLOCKED';
    case FrameType.StreamsBlockedBidi: return 'STREAMS_BLOCKED (BIDI)';
    case FrameType.StreamsBlockedUni: return 'STREAMS_BLOCKED (UNI)';
    case FrameType.NewConnectionId: return 'NEW_CONNECTION_ID';
    case FrameType.RetireConnectionId: return 'RETIRE_CONNECTION_ID';
    case FrameType.PathChallenge: return 'PATH_CHALLENGE';
    case FrameType.PathResponse: return 'PATH_RESPONSE';
    case FrameType.ConnectionCloseTransport: return 'CONNECTION_CLOSE (Transport)';
    case FrameType.ConnectionCloseApp: return 'CONNECTION_CLOSE (Application)';
    case FrameType.HandshakeDone: return 'HANDSHAKE_DONE';
    case FrameType.Datagram: case FrameType.DatagramLength: return 'DATAGRAM';
    default: return t >= FrameType.Stream && t <= FrameType.StreamLast ? 'STREAM' : 'Unknown';
  }
}

/** PADDING's length: the type byte and the zeros after it. */
function paddingLength(b: Buffer, at: number): number {
  let q = at + 1;
  while (q < b.length && b[q] === 0) q++;
  return q - at;
}

/** The n-th varint after frame j's type, or -1 when it does not fit. */
function frameVarint(r: QuicPackets, j: number, n: number): number {
  const b = r.plain[packetOfFrame(r, j)];
  if (b === null || b === undefined) return -1;
  let q = r.frameOff[j];
  q += varintSize(b[q]);
  for (let m = 0; m < n; m++) {
    if (q >= b.length || b.length - q < varintSize(b[q])) return -1;
    q += varintSize(b[q]);
  }
  return q < b.length && b.length - q >= varintSize(b[q]) ? varintAt(b, q) : -1;
}

defineField({
  name: 'quic.frame', label: 'Frame', type: FT.None, proto: 'quic', count: frameCount,
  heading: (d, j) => {
    const r = results(d)!;
    const t = r.frameType[j];
    if (t === FrameType.Padding) {
      const b = r.plain[packetOfFrame(r, j)];
      return b ? `PADDING Length: ${paddingLength(b, r.frameOff[j])}` : 'PADDING';
    }
    return frameTypeName(t);
  },
  instanceOf: (d, j) => packetOfFrame(results(d)!, j),
});
defineField({
  name: 'quic.frame_type', label: 'Frame Type', type: FT.UInt, valueBits: 64, proto: 'quic', count: frameCount, parent: 'quic.frame',
  num: (d, j) => results(d)!.frameType[j],
  display: (d, j) => { const t = results(d)!.frameType[j]; return `${frameTypeName(t)} (0x${t.toString(16).padStart(16, '0')})`; },
  instanceOf: (d, j) => packetOfFrame(results(d)!, j),
  parentOf: (_d, j) => j,
});

/** Occurrence i of frames of the types `types`: its index in the frame list, -1 past the last. */
function nthFrameOf(d: Dissection, types: readonly number[], i: number): number {
  const r = results(d);
  if (r === null) return -1;
  // The views ask for occurrences 0, 1, 2, … of a field in turn: going on from the previous answer
  // keeps a packet of thousands of frames linear, where counting from the start each time was not.
  let c = nthFrameCursors.get(types);
  if (c === undefined) nthFrameCursors.set(types, (c = { d: null, frame: -1, i: -1, j: -1 }));
  let j = 0, k = i;
  if (c.d === d && c.frame === d.number && c.i >= 0 && c.i < i) { j = c.j + 1; k = i - c.i - 1; }
  for (const n = frameCount(d); j < n; j++) {
    if (types.includes(r.frameType[j]) && k-- === 0) {
      c.d = d; c.frame = d.number; c.i = i; c.j = j;
      return j;
    }
  }
  return -1;
}
/** Per list of frame types: the last occurrence nthFrameOf found, in which dissection and frame. */
const nthFrameCursors = new Map<readonly number[], { d: Dissection | null; frame: number; i: number; j: number }>();

/** A value of frames of `types`: the `n`-th varint after the type, or what `value` reads. */
function frameValueField(name: string, label: string, types: readonly number[], n: number, generated = false,
  value?: (r: QuicPackets, j: number) => number, valueBits: 32 | 64 = 64): void {
  const valueOf = (r: QuicPackets, j: number): number => (value !== undefined ? value(r, j) : frameVarint(r, j, n));
  const count = (d: Dissection): number => {
    const r = d.hasLayer(quic.id) ? results(d) : null;
    if (r === null) return 0;
    let c = 0;
    for (let j = 0, m = frameCount(d); j < m; j++) if (types.includes(r.frameType[j]) && valueOf(r, j) >= 0) c++;
    return c;
  };
  defineField({
    name, label, type: FT.UInt, valueBits, proto: 'quic', parent: 'quic.frame', generated, count,
    num: (d, i) => { const j = nthFrameOf(d, types, i); return j < 0 ? 0 : valueOf(results(d)!, j); },
    parentOf: (d, i) => nthFrameOf(d, types, i),
    instanceOf: (d, i) => { const j = nthFrameOf(d, types, i); return j < 0 ? 0 : packetOfFrame(results(d)!, j); },
  });
}
const ACKS = [FrameType.Ack, FrameType.AckEcn];
frameValueField('quic.padding_length', 'Padding Length', [FrameType.Padding], 0, true, (r, j) => {
  const b = r.plain[packetOfFrame(r, j)];
  return b ? paddingLength(b, r.frameOff[j]) : -1;
}, 32);
frameValueField('quic.ack.largest_acknowledged', 'Largest Acknowledged', ACKS, 0);
frameValueField('quic.ack.ack_delay', 'ACK Delay', ACKS, 1);
frameValueField('quic.ack.ack_range_count', 'ACK Range Count', ACKS, 2);
frameValueField('quic.ack.first_ack_range', 'First ACK Range', ACKS, 3);
frameValueField('quic.crypto.offset', 'Offset', [FrameType.Crypto], 0);
frameValueField('quic.crypto.length', 'Length', [FrameType.Crypto], 1);

// A CRYPTO frame's data, and for the frame that completes a run collected out of order, the run's
// fragments as tshark lists them (its TLS subtree follows them, src/tls/quic-handshake.ts).
const CRYPTO = [FrameType.Crypto];
/** CRYPTO frames whose length was read (their data follows it). */
const cryptoWithData = (d: Dissection): number => {
  const r = d.hasLayer(quic.id) ? results(d) : null;
  if (r === null) return 0;
  let c = 0;
  for (let j = 0, m = frameCount(d); j < m; j++) if (r.frameType[j] === FrameType.Crypto && frameVarint(r, j, 1) >= 0) c++;
  return c;
};
defineField({
  name: 'quic.crypto.crypto_data', label: 'Crypto Data', type: FT.None, proto: 'quic', parent: 'quic.frame', count: cryptoWithData,
  text: () => 'Crypto Data',
  parentOf: (d, i) => nthFrameOf(d, CRYPTO, i),
  instanceOf: (d, i) => { const j = nthFrameOf(d, CRYPTO, i); return j < 0 ? 0 : packetOfFrame(results(d)!, j); },
});
/** The frame's handoffs to TLS, when the reader ran for it. */
function handoffsOf(d: Dissection): QuicCryptoHandoffs | null {
  const h = quicCryptoHandoffs.peek(d);
  return h !== undefined && h.frame === d.number && d.hasLayer(quic.id) && results(d) !== null ? h : null;
}
/** Occurrence i of a reassembled handoff: its index among the handoffs, -1 past the last. */
function nthReassembled(h: QuicCryptoHandoffs, i: number): number {
  for (let k = 0; k < h.count; k++) if (h.fragTotal[k] > 0 && i-- === 0) return k;
  return -1;
}
const reassembledCount = (d: Dissection): number => {
  const h = handoffsOf(d);
  if (h === null) return 0;
  let c = 0;
  for (let k = 0; k < h.count; k++) if (h.fragTotal[k] > 0) c++;
  return c;
};
/** The CRYPTO frame (index in the frame list) handoff k came with. */
const frameOfHandoff = (d: Dissection, h: QuicCryptoHandoffs, k: number): number => cryptoFrameAt(d, h.pktOff[k], h.frameOff[k]);
const packetOfHandoff = (d: Dissection, h: QuicCryptoHandoffs, k: number): number => {
  const j = frameOfHandoff(d, h, k);
  return j < 0 ? 0 : packetOfFrame(results(d)!, j);
};
defineField({
  name: 'quic.crypto.fragments', label: 'Reassembled QUIC CRYPTO Data Fragments', type: FT.None, proto: 'quic', parent: 'quic.frame', generated: true,
  count: reassembledCount,
  text: (d, i) => {
    const h = handoffsOf(d)!, k = nthReassembled(h, i);
    return fragmentsHeading(h.fragTotal[k], 'Reassembled QUIC CRYPTO Data Fragments', h.len[k], h.fragFrame, h.fragLen, h.fragFirst[k], h.fragCount[k]);
  },
  range: (d, i, o) => { const h = handoffsOf(d)!, k = nthReassembled(h, i); return k >= 0 && o.set(h.buf[k], h.streamOff[k], h.len[k]); },
  parentOf: (d, i) => { const h = handoffsOf(d)!; return frameOfHandoff(d, h, nthReassembled(h, i)); },
  instanceOf: (d, i) => { const h = handoffsOf(d)!; return packetOfHandoff(d, h, nthReassembled(h, i)); },
});
/** Fragment i of the frame's reassembled handoffs: [handoff, its reassembled occurrence, fragment index]. */
function nthFragment(h: QuicCryptoHandoffs, i: number): [number, number, number] {
  let occurrence = 0;
  for (let k = 0; k < h.count; k++) {
    if (h.fragTotal[k] === 0) continue;
    if (i < h.fragCount[k]) return [k, occurrence, h.fragFirst[k] + i];
    i -= h.fragCount[k];
    occurrence++;
  }
  return [-1, -1, -1];
}
defineField({
  name: 'quic.crypto.fragment', label: 'QUIC CRYPTO Data Fragment', type: FT.UInt, valueBits: 32, ftype: 'FT_FRAMENUM', proto: 'quic', parent: 'quic.crypto.fragments', generated: true,
  count: (d) => { const h = handoffsOf(d); if (h === null) return 0; let c = 0; for (let k = 0; k < h.count; k++) if (h.fragTotal[k] > 0) c += h.fragCount[k]; return c; },
  num: (d, i) => { const h = handoffsOf(d)!; const [, , f] = nthFragment(h, i); return f < 0 ? 0 : h.fragFrame[f]; },
  heading: (d, i) => {
    const h = handoffsOf(d)!;
    const [, , f] = nthFragment(h, i);
    return f < 0 ? '' : fragmentLine(h.fragFrame[f], h.fragOff[f], h.fragLen[f]);
  },
  parentOf: (d, i) => nthFragment(handoffsOf(d)!, i)[1],
  instanceOf: (d, i) => { const h = handoffsOf(d)!; return packetOfHandoff(d, h, nthFragment(h, i)[0]); },
});
defineField({
  name: 'quic.crypto.fragment.count', label: 'Fragment count', type: FT.UInt, valueBits: 32, proto: 'quic', parent: 'quic.crypto.fragments', generated: true,
  count: reassembledCount,
  num: (d, i) => { const h = handoffsOf(d)!; return h.fragTotal[nthReassembled(h, i)]; },
  parentOf: (_d, i) => i,
  instanceOf: (d, i) => { const h = handoffsOf(d)!; return packetOfHandoff(d, h, nthReassembled(h, i)); },
});



// A short header's Key Phase bit is under header protection (RFC 9001 §5.4.1): tshark shows it only
// once 1-RTT keys removed that, which takes the session's secrets; without them it is absent, here as there.
packetField({
  name: 'quic.key_phase', label: 'Key Phase Bit', type: FT.Bool, mask: 0x04, bitWidth: 8,
  keep: (l, k, r) => !isLong(l, k) && r != null && r.pkn[k] >= 0,
  num: (_d, _l, k, r) => ((r!.firstByte[k] & 0x04) !== 0 ? 1 : 0), at: (_d, l, k) => byteAt(l, k),
  ...SHORT_HEADER,
});
