// QUIC packets on the wire (RFC 9000 §17, RFC 8999): the long and short header forms, and how the
// packets coalesced in one UDP datagram are cut apart. Everything here reads only the bytes of the
// datagram; what needs the connection (a short header's Destination Connection ID length, packet
// numbers, decrypted frames) is the analysis stage's (stage.ts).

import { quicDraftOf, QUIC_V2 } from './initial';

/** RFC 9000 §17.2: the Header Form bit (long) and the Fixed Bit. */
export const HEADER_FORM_LONG = 0x80;
export const FIXED_BIT = 0x40;
/** RFC 9000 §17.3.1: the Spin Bit of a short header. */
export const SPIN_BIT = 0x20;
/** RFC 9000 §17.2: long header packet type bits. */
export const LONG_TYPE_MASK = 0x30;
/** RFC 9000 §17.2: Connection IDs are at most 20 bytes in QUIC v1. */
export const MAX_CID_LEN = 20;
/** RFC 9001 §5.8: the Retry Integrity Tag. */
export const RETRY_TAG_LEN = 16;
/** Flags (1) + version (4) + DCID length (1): where a long header's DCID starts. */
export const LONG_DCID_OFF = 6;

/** Packet kinds, as tshark's internal long packet types (the wire bits differ between v1 and v2, RFC 9369 §3.2). */
export const enum Kind {
  Short = 0,
  Initial = 1,
  ZeroRtt = 2,
  Handshake = 3,
  Retry = 4,
  VersionNegotiation = 5,
}

export const KIND_NAMES = ['Protected Payload', 'Initial', '0-RTT', 'Handshake', 'Retry', 'Version Negotiation'];

/** Packets read from one datagram at most: each takes at least a header, so a datagram holds few; the rest is left unread. */
export const MAX_PACKETS = 16;

/** The kind of a long header packet of `version` with first byte `first`. */
export function longKind(first: number, version: number): Kind {
  if (version === 0) return Kind.VersionNegotiation;
  const bits = (first & LONG_TYPE_MASK) >> 4;
  if (version === QUIC_V2) return bits === 0 ? Kind.Retry : bits === 1 ? Kind.Initial : bits === 2 ? Kind.ZeroRtt : Kind.Handshake;
  return bits === 0 ? Kind.Initial : bits === 1 ? Kind.ZeroRtt : bits === 2 ? Kind.Handshake : Kind.Retry;
}

/** Length in bytes of the variable-length integer (RFC 9000 §16) starting with byte `b`. */
export const varintSize = (b: number): number => 1 << (b >> 6);

/** The variable-length integer at p (the caller checked that varintSize bytes are there). */
export function varintAt(buf: Buffer, p: number): number {
  const n = varintSize(buf[p]);
  let v = buf[p] & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + buf[p + i];
  return v;
}

/** One datagram's QUIC packets: offsets into the frame and the header values, per packet. */
export class QuicLayer {
  /** The datagram (the UDP payload). */
  off = 0;
  end = 0;
  count = 0;
  /** Packets were left unread past MAX_PACKETS. */
  moreUnread = false;
  readonly pktOff = new Int32Array(MAX_PACKETS);
  readonly pktLen = new Int32Array(MAX_PACKETS);
  readonly kind = new Uint8Array(MAX_PACKETS);
  readonly version = new Uint32Array(MAX_PACKETS);
  /** Long header: DCID and SCID length bytes and where the IDs start (-1: the length byte is missing). */
  readonly dcil = new Int16Array(MAX_PACKETS);
  readonly scil = new Int16Array(MAX_PACKETS);
  readonly scidOff = new Int32Array(MAX_PACKETS);
  /** Initial: where the Token Length varint starts (-1 none) and the token length. */
  readonly tokenLenOff = new Int32Array(MAX_PACKETS);
  readonly tokenLen = new Float64Array(MAX_PACKETS);
  /** Where the Length varint starts (-1 none) and its value. */
  readonly lengthOff = new Int32Array(MAX_PACKETS);
  readonly length = new Float64Array(MAX_PACKETS);
  /** Where the (protected) packet number starts; -1 when the header does not reach it. */
  readonly pnOff = new Int32Array(MAX_PACKETS);
  /** The header's fields do not fit in the packet's bytes (tshark then stops with [Malformed Packet]). */
  readonly truncated = new Uint8Array(MAX_PACKETS);
}

/** Whether `version` is one QUIC's heuristic takes (tshark 4.0: a known draft from -11 on, v1, v2, reserved versions). */
export function isQuicVersion(version: number): boolean {
  return quicDraftOf(version) >= 11;
}

/**
 * Wireshark's heuristic for a long header (packet-quic.c dissect_quic_heur): at least 13 bytes, the
 * long form, a version QUIC reads, and Connection ID lengths within the limit.
 */
export function looksLikeLongHeader(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 13 || (buf[off] & HEADER_FORM_LONG) === 0) return false;
  if (!isQuicVersion(buf.readUInt32BE(off + 1))) return false;
  const dcil = buf[off + 5];
  if (dcil > MAX_CID_LEN) return false;
  const scilAt = off + LONG_DCID_OFF + dcil;
  return scilAt < end && buf[scilAt] <= MAX_CID_LEN;
}

/**
 * Where the long header packet at p ends, as tshark cuts a datagram (quic_get_message_tvb): by its
 * Length field, unless the packet is a Retry or Version Negotiation (never coalesced) or the length
 * does not fall short of the datagram's end, when the packet takes the rest.
 */
function longPacketEnd(buf: Buffer, p: number, end: number, kind: Kind): number {
  if (kind === Kind.Retry || kind === Kind.VersionNegotiation) return end;
  let q = p + 5;
  if (q >= end) return end;
  q += 1 + buf[q];
  if (q >= end) return end;
  q += 1 + buf[q];
  if (kind === Kind.Initial) {
    if (q >= end || end - q < varintSize(buf[q])) return end;
    const tokenLen = varintAt(buf, q);
    q += varintSize(buf[q]) + tokenLen;
    if (q >= end) return end;
  }
  if (q >= end || end - q < varintSize(buf[q])) return end;
  const length = varintAt(buf, q);
  const stop = q + varintSize(buf[q]) + length;
  return length <= 0x7fffffff && stop < end ? stop : end;
}

/** Read the header of the packet at [p, stop) into slot k of the layer. */
function readHeader(L: QuicLayer, buf: Buffer, k: number, p: number, stop: number): void {
  L.tokenLenOff[k] = -1;
  L.tokenLen[k] = 0;
  L.lengthOff[k] = -1;
  L.length[k] = 0;
  L.pnOff[k] = -1;
  L.dcil[k] = -1;
  L.scil[k] = -1;
  L.scidOff[k] = -1;
  L.truncated[k] = 0;
  L.version[k] = 0;
  const first = buf[p];
  if ((first & HEADER_FORM_LONG) === 0) {
    L.kind[k] = Kind.Short;
    return;
  }
  if (stop - p < 6) {
    L.kind[k] = Kind.Initial;
    L.truncated[k] = 1;
    if (stop - p >= 5) L.version[k] = buf.readUInt32BE(p + 1);
    return;
  }
  const version = buf.readUInt32BE(p + 1);
  const kind = longKind(first, version);
  L.version[k] = version;
  L.kind[k] = kind;
  const dcil = buf[p + 5];
  L.dcil[k] = dcil;
  let q = p + LONG_DCID_OFF + dcil;
  if (q >= stop) { L.truncated[k] = 1; return; }
  const scil = buf[q];
  L.scil[k] = scil;
  L.scidOff[k] = q + 1;
  q += 1 + scil;
  if (q > stop) { L.truncated[k] = 1; return; }
  // RFC 9000 §17.2.1: the supported versions are 4 bytes each; §17.2.5: a Retry ends in a 16-byte tag.
  if (kind === Kind.VersionNegotiation) { if ((stop - q) % 4 !== 0) L.truncated[k] = 1; return; }
  if (kind === Kind.Retry) { if (stop - q < RETRY_TAG_LEN) L.truncated[k] = 1; return; }
  if (kind === Kind.Initial) {
    if (q >= stop || stop - q < varintSize(buf[q])) { L.truncated[k] = 1; return; }
    L.tokenLenOff[k] = q;
    L.tokenLen[k] = varintAt(buf, q);
    q += varintSize(buf[q]);
    if (L.tokenLen[k] > stop - q) { L.truncated[k] = 1; return; }
    q += L.tokenLen[k];
  }
  if (q >= stop || stop - q < varintSize(buf[q])) { L.truncated[k] = 1; return; }
  L.lengthOff[k] = q;
  L.length[k] = varintAt(buf, q);
  L.pnOff[k] = q + varintSize(buf[q]);
}

/**
 * Cut the datagram [off, end) into its packets and read their headers. A short header takes the rest
 * of the datagram; a Version Negotiation ends it (nothing may follow, RFC 9000 §17.2.1).
 */
export function readDatagram(L: QuicLayer, buf: Buffer, off: number, end: number): void {
  L.off = off;
  L.end = end;
  L.count = 0;
  L.moreUnread = false;
  let p = off;
  while (p < end) {
    if (L.count === MAX_PACKETS) {
      L.moreUnread = true;
      return;
    }
    const k = L.count++;
    const first = buf[p];
    let stop = end;
    if ((first & HEADER_FORM_LONG) !== 0 && end - p >= 5) {
      const version = buf.readUInt32BE(p + 1);
      stop = longPacketEnd(buf, p, end, longKind(first, version));
    }
    L.pktOff[k] = p;
    L.pktLen[k] = stop - p;
    readHeader(L, buf, k, p, stop);
    if (L.kind[k] === Kind.VersionNegotiation || L.kind[k] === Kind.Short) return;
    p = stop;
  }
}
