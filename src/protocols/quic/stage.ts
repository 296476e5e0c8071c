// The QUIC analysis stage: each datagram the decode step found to be QUIC is matched with its
// connection (connections.ts), in frame order, as tshark's single pass does; Initial packets are
// decrypted with the keys derived from the client's first DCID (RFC 9001 §5), so their packet
// numbers and frames can be listed. What it found for the frame is kept in a Slot of the
// Dissection (QuicPackets), which the Info column and the fields read. Handshake, 0-RTT and 1-RTT
// packets need the session's secrets, which tshark without a key log does not have either.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Dissection, Malformed, Slot } from '../../decode/dissection';
import { Keys } from './initial';
import { Found, QuicConnection, QuicConnections, conversationKey, endpoint, hexOf } from './connections';
import { Kind, LONG_DCID_OFF, MAX_CID_LEN, MAX_PACKETS, QuicLayer, varintAt, varintSize } from './wire';

/** RFC 9001 §5.3, §5.4.2: AEAD tag and header-protection sample sizes. */
const TAG_LEN = 16;
const SAMPLE_LEN = 16;
/** Frames listed per datagram at most (PADDING runs count once); a longer list is cut short. */
export const MAX_FRAMES = 1024;

/** RFC 9000 §19 frame types. */
export const enum FrameType {
  Padding = 0x00, Ping = 0x01, Ack = 0x02, AckEcn = 0x03, ResetStream = 0x04, StopSending = 0x05,
  Crypto = 0x06, NewToken = 0x07, Stream = 0x08, StreamLast = 0x0f, MaxData = 0x10, MaxStreamData = 0x11,
  MaxStreamsBidi = 0x12, MaxStreamsUni = 0x13, DataBlocked = 0x14, StreamDataBlocked = 0x15,
  StreamsBlockedBidi = 0x16, StreamsBlockedUni = 0x17, NewConnectionId = 0x18, RetireConnectionId = 0x19,
  PathChallenge = 0x1a, PathResponse = 0x1b, ConnectionCloseTransport = 0x1c, ConnectionCloseApp = 0x1d,
  HandshakeDone = 0x1e, Datagram = 0x30, DatagramLength = 0x31,
}

/** What the stage found in the frame's datagram, per packet of the decode step's QuicLayer. */
export class QuicPackets {
  /** The frame these results are for (d.number); others are stale. */
  frame = -1;
  /** tshark's connection number, -1 for a packet of no known connection. */
  connection = -1;
  fromServer = false;
  /** Packets dissected: fewer than the layer's when a coalesced packet names another DCID (padding). */
  valid = 0;
  /** A packet after the valid ones was taken for padding (tshark's quic.coalesced_padding_data). */
  padding = false;
  /** Short header: the DCID length its connection gives. */
  readonly dcidLen = new Int16Array(MAX_PACKETS);
  /** Where each packet starts in the frame. */
  readonly pktOff = new Int32Array(MAX_PACKETS);
  /** Full packet number, -1 when header protection could not be removed. */
  readonly pkn = new Float64Array(MAX_PACKETS);
  readonly pnLen = new Uint8Array(MAX_PACKETS);
  /** First byte with header protection removed. */
  readonly firstByte = new Uint8Array(MAX_PACKETS);
  readonly decrypted = new Uint8Array(MAX_PACKETS);
  /** Decrypted frames: packet k's are [frameFirst[k], frameFirst[k] + frameCount[k]) of the arrays below. */
  readonly frameFirst = new Int32Array(MAX_PACKETS);
  readonly frameCount = new Int32Array(MAX_PACKETS);
  frames = 0;
  readonly frameType = new Float64Array(MAX_FRAMES);
  /** The stream ID the Info column shows after RS, SS, STREAM, MSD, SDB; -1 none. */
  readonly frameId = new Float64Array(MAX_FRAMES);
  /** Where the frame starts in its packet's plaintext, and the plaintexts (valid for this frame). */
  readonly frameOff = new Int32Array(MAX_FRAMES);
  readonly plain: (Buffer | null)[] = new Array<Buffer | null>(MAX_PACKETS).fill(null);

  reset(frame: number): void {
    this.frame = frame;
    this.connection = -1;
    this.fromServer = false;
    this.valid = 0;
    this.padding = false;
    this.frames = 0;
    for (let k = 0; k < MAX_PACKETS; k++) {
      this.pkn[k] = -1;
      this.pnLen[k] = 0;
      this.decrypted[k] = 0;
      this.dcidLen[k] = 0;
      this.frameCount[k] = 0;
      this.frameFirst[k] = 0;
      this.plain[k] = null;
    }
  }
}

export const quicPackets = new Slot(() => new QuicPackets());
/** The connection table of the capture the Dissection's pipeline reads; set by the stage. */
export const quicConnections = new Slot<QuicConnections | null>(() => null);

/** tshark's packet number reconstruction (after ngtcp2): the candidate nearest the largest seen + 1. */
export function fullPacketNumber(largest: number, truncated: number, bits: number): number {
  const win = 2 ** bits;
  const expected = largest + 1;
  const base = Math.floor(expected / win) * win;
  const a = base + truncated, b = base + win + truncated;
  return Math.abs(a - expected) < Math.abs(b - expected) ? a : b;
}

/** Packet number space of a packet kind: Initial, Handshake, application data. */
const spaceOf = (kind: Kind): number => (kind === Kind.Initial ? 0 : kind === Kind.Handshake ? 1 : 2);

export class QuicAnalyzer {
  readonly table = new QuicConnections();
  private readonly found = new Found();
  /** Initial packets whose protection was removed, and those whose tag did not verify. */
  decrypted = 0;
  undecryptable = 0;

  constructor(private readonly quicId: () => number, private readonly layerOf: (d: Dissection) => QuicLayer) {}

  analyze(d: Dissection): void {
    if (quicConnections.peek(d) !== this.table) quicConnections.set(d, this.table);
    if (!d.hasLayer(this.quicId())) return;
    const L = this.layerOf(d);
    const R = quicPackets.of(d);
    R.reset(d.number);
    if (L.count === 0) return;
    const conv = conversationKey(d);
    const src = endpoint(d, true);
    this.table.markConversation(conv);
    const buf = d.buf;
    const f = this.found;
    const p0 = L.pktOff[0];
    const kind0 = L.kind[0] as Kind;
    let dcid = '', scid = '';
    if (kind0 !== Kind.Short) {
      const dcil = L.dcil[0], scil = L.scil[0];
      if (dcil > 0 && dcil <= MAX_CID_LEN && p0 + LONG_DCID_OFF + dcil <= L.end) dcid = hexOf(buf, p0 + LONG_DCID_OFF, dcil);
      if (scil > 0 && scil <= MAX_CID_LEN && L.scidOff[0] + scil <= L.end) scid = hexOf(buf, L.scidOff[0], scil);
      this.table.findLong(kind0 === Kind.Initial, kind0 === Kind.ZeroRtt, dcid, conv, src, f);
    } else {
      const n = Math.min(MAX_CID_LEN, L.end - p0 - 1);
      this.table.findShort(hexOf(buf, p0 + 1, n), conv, src, f);
    }
    let conn = f.conn;
    const fromServer = f.fromServer;
    conn = this.createOrUpdate(conn, kind0, L.version[0], scid, dcid, fromServer, d, conv);
    R.connection = conn !== null ? conn.number : -1;
    R.fromServer = fromServer;
    let firstDcid = '';
    for (let k = 0; k < L.count; k++) {
      const kind = L.kind[k] as Kind;
      const p = L.pktOff[k];
      // Packets coalesced in one datagram share a DCID (RFC 9000 §12.2); one that does not is taken for padding.
      let pktDcid = '';
      if (kind !== Kind.Short) {
        const dcil = L.dcil[k];
        if (dcil > 0 && dcil <= MAX_CID_LEN && p + LONG_DCID_OFF + dcil <= L.end) pktDcid = hexOf(buf, p + LONG_DCID_OFF, dcil);
      } else if (conn !== null) {
        const ids = fromServer ? conn.clientCids : conn.serverCids;
        const n = ids.length > 0 ? ids[0].length / 2 : 0;
        R.dcidLen[k] = Math.min(n, L.end - p - 1);
        pktDcid = hexOf(buf, p + 1, R.dcidLen[k]);
      } else if (k > 0) {
        // no connection: tshark cannot check the ID and takes the packet
        pktDcid = firstDcid;
      }
      R.pktOff[k] = p;
      if (k === 0) firstDcid = pktDcid;
      else if (pktDcid !== firstDcid) {
        R.padding = true;
        break;
      }
      R.valid = k + 1;
      if (kind === Kind.Short || kind === Kind.Retry || kind === Kind.VersionNegotiation) continue;
      if (conn !== null && L.truncated[k] === 0) this.longPacket(d, L, R, k, conn, fromServer, pktDcid);
    }
  }

  /** tshark's quic_connection_create_or_update, for the datagram's first packet. */
  private createOrUpdate(conn: QuicConnection | null, kind: Kind, version: number, scid: string, dcid: string,
    fromServer: boolean, d: Dissection, conv: string): QuicConnection | null {
    const t = this.table;
    if (kind === Kind.Initial && !fromServer) {
      if (conn === null) {
        conn = t.create(version, endpoint(d, false), conv);
        t.updateInitial(conn, scid, dcid);
      } else if (conn.clientDcidInitial === null && dcid.length > 0) {
        t.restartAfterRetry(conn, scid, dcid);
      }
      return conn;
    }
    if ((kind === Kind.Initial || kind === Kind.Retry || kind === Kind.Handshake) && fromServer && conn !== null) {
      if (kind === Kind.Retry) t.retry(conn);
      t.learnServerCid(conn, scid);
    }
    return conn;
  }

  /** Header protection and, for Initial packets, the payload (RFC 9001 §5.3, §5.4), as tshark tries them. */
  private longPacket(d: Dissection, L: QuicLayer, R: QuicPackets, k: number, conn: QuicConnection, fromServer: boolean, dcid: string): void {
    const kind = L.kind[k] as Kind;
    if (kind !== Kind.Initial) return; // Handshake and 0-RTT keys come from the TLS secrets
    if (!fromServer && dcid.length > 0 && dcid === conn.clientDcidInitial) {
      this.table.deriveInitialKeys(conn, dcid);
    } else if (fromServer && L.version[k] !== conn.version) {
      // The server answered in another version (compatible Version Negotiation): keys of that version.
      conn.version = L.version[k];
      this.table.deriveInitialKeys(conn, conn.clientDcidInitial ?? '');
    }
    const keys = fromServer ? conn.serverInitial : conn.clientInitial;
    if (keys === null) return;
    const buf = d.buf;
    const start = L.pktOff[k], end = start + L.pktLen[k];
    const pnOff = L.pnOff[k];
    if (pnOff < 0) return;
    if (end - pnOff < 4 + SAMPLE_LEN) {
      // RFC 9001 §5.4.2: the header protection sample must lie in the packet; tshark stops with [Malformed Packet].
      d.markMalformed(Malformed.Application, this.quicId());
      return;
    }
    const mask = hpMask(keys, buf, pnOff + 4);
    const first = buf[start] ^ (mask[0] & 0x0f);
    const pnLen = (first & 3) + 1;
    let truncated = 0;
    for (let i = 0; i < pnLen; i++) truncated = truncated * 256 + (buf[pnOff + i] ^ mask[1 + i]);
    const side = fromServer ? 1 : 0;
    const space = spaceOf(kind);
    const pn = fullPacketNumber(conn.maxPn[side][space], truncated, pnLen * 8);
    R.pkn[k] = pn;
    R.pnLen[k] = pnLen;
    R.firstByte[k] = first;
    const plain = decryptPayload(keys, buf, start, pnOff + pnLen, end, first, pn, pnLen);
    if (plain === null) {
      this.undecryptable++;
      return;
    }
    this.decrypted++;
    conn.maxPn[side][space] = pn;
    R.decrypted[k] = 1;
    R.plain[k] = plain;
    listFrames(R, k, plain, this.table, conn, fromServer);
  }
}

function hpMask(keys: Keys, buf: Buffer, sampleOff: number): Buffer {
  if (keys.hpCipher === undefined) {
    keys.hpCipher = createCipheriv('aes-128-ecb', keys.hp, null);
    keys.hpCipher.setAutoPadding(false);
  }
  return keys.hpCipher.update(buf.subarray(sampleOff, sampleOff + SAMPLE_LEN));
}

/** AEAD_AES_128_GCM over the packet [start, end) whose payload starts at payloadOff; null when the tag does not verify. */
function decryptPayload(keys: Keys, buf: Buffer, start: number, payloadOff: number, end: number, first: number, pn: number, pnLen: number): Buffer | null {
  if (end - payloadOff <= TAG_LEN) return null;
  const header = Buffer.from(buf.subarray(start, payloadOff));
  header[0] = first;
  for (let i = 0, v = pn; i < pnLen; i++, v = Math.floor(v / 256)) header[header.length - 1 - i] = v & 0xff;
  const nonce = Buffer.from(keys.iv);
  for (let i = 0, v = pn; i < 8 && v > 0; i++, v = Math.floor(v / 256)) nonce[11 - i] ^= v & 0xff;
  try {
    const dec = createDecipheriv('aes-128-gcm', keys.key, nonce);
    dec.setAAD(header);
    dec.setAuthTag(buf.subarray(end - TAG_LEN, end));
    return Buffer.concat([dec.update(buf.subarray(payloadOff, end - TAG_LEN)), dec.final()]);
  } catch {
    return null;
  }
}

/** Skip `n` varints at p; the position after, or -1 when they do not fit. */
function skipVarints(b: Buffer, p: number, end: number, n: number): number {
  for (let i = 0; i < n; i++) {
    if (p >= end || end - p < varintSize(b[p])) return -1;
    p += varintSize(b[p]);
  }
  return p;
}

/** The varint at p, or -1 when it does not fit. */
function varintOrNone(b: Buffer, p: number, end: number): number {
  return p < end && end - p >= varintSize(b[p]) ? varintAt(b, p) : -1;
}

/**
 * The frames of a decrypted packet (RFC 9000 §19), in order, as tshark's Info lists them. A frame
 * cut short ends the list (tshark stops there, the frame named).
 */
function listFrames(R: QuicPackets, k: number, b: Buffer, table: QuicConnections, conn: QuicConnection, fromServer: boolean): void {
  R.frameFirst[k] = R.frames;
  const end = b.length;
  let p = 0;
  while (p < end && R.frames < MAX_FRAMES) {
    const typeLen = varintSize(b[p]);
    if (end - p < typeLen) break;
    const type = varintAt(b, p);
    const i = R.frames++;
    R.frameCount[k]++;
    R.frameType[i] = type;
    R.frameId[i] = -1;
    R.frameOff[i] = p;
    let q = p + typeLen;
    switch (type) {
      case FrameType.Padding:
        while (q < end && b[q] === 0) q++;
        break;
      case FrameType.Ping: case FrameType.HandshakeDone:
        break;
      case FrameType.Ack: case FrameType.AckEcn: {
        q = skipVarints(b, q, end, 2);
        const ranges = varintOrNone(b, q, end);
        if (ranges < 0 || ranges > end) { q = -1; break; }
        q = skipVarints(b, q, end, 2 + 2 * ranges + (type === FrameType.AckEcn ? 3 : 0));
        break;
      }
      case FrameType.ResetStream: case FrameType.StopSending: case FrameType.MaxStreamData: case FrameType.StreamDataBlocked:
        R.frameId[i] = varintOrNone(b, q, end);
        q = skipVarints(b, q, end, type === FrameType.ResetStream ? 3 : 2);
        break;
      case FrameType.Crypto: case FrameType.NewToken: {
        if (type === FrameType.Crypto) q = skipVarints(b, q, end, 1);
        const len = q < 0 ? -1 : varintOrNone(b, q, end);
        if (len < 0) { q = -1; break; }
        q += varintSize(b[q]);
        q = end - q >= len ? q + len : -1;
        break;
      }
      case FrameType.MaxData: case FrameType.MaxStreamsBidi: case FrameType.MaxStreamsUni: case FrameType.DataBlocked:
      case FrameType.StreamsBlockedBidi: case FrameType.StreamsBlockedUni: case FrameType.RetireConnectionId:
        q = skipVarints(b, q, end, 1);
        break;
      case FrameType.NewConnectionId: {
        q = skipVarints(b, q, end, 2);
        if (q < 0 || q >= end) { q = -1; break; }
        const n = b[q++];
        if (end - q < n + 16) { q = -1; break; }
        if (n >= 1 && n <= MAX_CID_LEN) table.addCid(conn, b.toString('hex', q, q + n), fromServer);
        q += n + 16;
        break;
      }
      case FrameType.PathChallenge: case FrameType.PathResponse:
        q = end - q >= 8 ? q + 8 : -1;
        break;
      case FrameType.ConnectionCloseTransport: case FrameType.ConnectionCloseApp: {
        q = skipVarints(b, q, end, type === FrameType.ConnectionCloseTransport ? 2 : 1);
        const len = q < 0 ? -1 : varintOrNone(b, q, end);
        if (len < 0) { q = -1; break; }
        q += varintSize(b[q]);
        q = end - q >= len ? q + len : -1;
        break;
      }
      case FrameType.Datagram:
        q = end;
        break;
      case FrameType.DatagramLength: {
        const len = varintOrNone(b, q, end);
        if (len < 0) { q = -1; break; }
        q += varintSize(b[q]);
        q = end - q >= len ? q + len : -1;
        break;
      }
      default:
        if (type >= FrameType.Stream && type <= FrameType.StreamLast) {
          R.frameId[i] = varintOrNone(b, q, end);
          q = skipVarints(b, q, end, 1 + (type & 0x04 ? 1 : 0));
          if (q < 0) break;
          if (type & 0x02) {
            const len = varintOrNone(b, q, end);
            if (len < 0) { q = -1; break; }
            q += varintSize(b[q]);
            q = end - q >= len ? q + len : -1;
          } else q = end;
        }
        // an unknown type: tshark names nothing and reads on after the type
    }
    if (q < 0) break;
    p = q;
  }
}

/** The stage's results for `d`'s frame, or null when it did not run for it. */
export function resultsOf(d: Dissection): QuicPackets | null {
  const r = quicPackets.peek(d);
  return r !== undefined && r.frame === d.number && d.number > 0 ? r : null;
}

/** Frame j of the frame's list: the packet it is in (-1 when none). */
export function packetOfFrame(r: QuicPackets, j: number): number {
  for (let k = 0; k < r.valid; k++) if (j >= r.frameFirst[k] && j < r.frameFirst[k] + r.frameCount[k]) return k;
  return -1;
}

/** The CRYPTO frame at plaintext offset `frameOff` of the packet that starts at `pktOff`: its index in the frame's list, -1 when not listed. */
export function cryptoFrameAt(d: Dissection, pktOff: number, frameOff: number): number {
  const r = resultsOf(d);
  if (r === null) return -1;
  for (let k = 0; k < r.valid; k++) {
    if (r.pktOff[k] !== pktOff) continue;
    for (let j = r.frameFirst[k]; j < r.frameFirst[k] + r.frameCount[k]; j++) if (r.frameOff[j] === frameOff && r.frameType[j] === FrameType.Crypto) return j;
  }
  return -1;
}

/** The Info column's word for a frame type (tshark 4.0's abbreviations), '' for a type it does not name. */
export function frameInfoWord(type: number, id: number): string {
  const withId = (w: string): string => (id >= 0 ? `${w}(${id})` : w);
  switch (type) {
    case FrameType.Padding: return 'PADDING';
    case FrameType.Ping: return 'PING';
    case FrameType.Ack: return 'ACK';
    case FrameType.AckEcn: return 'ACK_ECN';
    case FrameType.ResetStream: return withId('RS');
    case FrameType.StopSending: return withId('SS');
    case FrameType.Crypto: return 'CRYPTO';
    case FrameType.NewToken: return 'NT';
    case FrameType.MaxData: return 'MD';
    case FrameType.MaxStreamData: return withId('MSD');
    case FrameType.MaxStreamsBidi: case FrameType.MaxStreamsUni: return 'MS';
    case FrameType.DataBlocked: return 'DB';
    case FrameType.StreamDataBlocked: return withId('SDB');
    case FrameType.StreamsBlockedBidi: case FrameType.StreamsBlockedUni: return 'SB';
    case FrameType.NewConnectionId: return 'NCI';
    case FrameType.RetireConnectionId: return 'RC';
    case FrameType.PathChallenge: return 'PC';
    case FrameType.PathResponse: return 'PR';
    case FrameType.ConnectionCloseTransport: case FrameType.ConnectionCloseApp: return 'CC';
    case FrameType.HandshakeDone: return 'DONE';
    case FrameType.Datagram: case FrameType.DatagramLength: return 'DG';
    default: return type >= FrameType.Stream && type <= FrameType.StreamLast ? withId('STREAM') : '';
  }
}


