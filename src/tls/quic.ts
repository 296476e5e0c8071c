// The TLS handshake inside QUIC Initial packets (RFC 9000 §17.2.2, RFC 9001 §5). Initial packets
// are protected with keys that anyone can derive from the client's first Destination Connection ID
// (RFC 9001 §5.2), so the Client Hello and Server Hello they carry in CRYPTO frames can be read, as
// Wireshark reads them. Nothing else of QUIC is dissected here: Handshake and 1-RTT packets need the
// session's secrets.
//
// Per connection (UDP address/port pair) the Initial keys are derived once; CRYPTO frames, which a
// client may send in any order and across several packets, are placed by offset into a bounded
// per-direction buffer, and each handshake message is handed on in the frame that completes it.

import { Cipher, createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { HS_HEADER_LEN } from './handshake';

/** Initial salts: QUIC v1 (RFC 9001 §5.2), v2 (RFC 9369 §3.3.1), draft-29. */
const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const SALT_DRAFT29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex');
export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;
const QUIC_DRAFT29 = 0xff00001d;

/** AEAD_AES_128_GCM tag and header-protection sample sizes (RFC 9001 §5.3, §5.4.2). */
const TAG_LEN = 16;
const SAMPLE_LEN = 16;
const MAX_CID_LEN = 20;
/** Most CRYPTO bytes collected per direction of a connection (a Client Hello with post-quantum key shares is a few KiB). */
export const MAX_CRYPTO_BYTES = 64 * 1024;
/** Connections remembered at once. */
const MAX_CONNECTIONS = 4096;

export interface Keys {
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
  /** AES-ECB with the header-protection key, made once: ECB keeps no state between 16-byte blocks. */
  hpCipher?: Cipher;
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256, for outputs of at most 32 bytes (one HMAC block). */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from('tls13 ' + label, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1 + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // HKDF-Expand counter, first block
  return createHmac('sha256', secret).update(info).digest().subarray(0, length);
}

/** The Initial packet protection keys of one side (RFC 9001 §5.2). */
export function initialKeys(version: number, dcid: Buffer, server: boolean): Keys {
  const salt = version === QUIC_V2 ? SALT_V2 : version === QUIC_DRAFT29 ? SALT_DRAFT29 : SALT_V1;
  const initial = createHmac('sha256', salt).update(dcid).digest(); // HKDF-Extract
  const secret = expandLabel(initial, server ? 'server in' : 'client in', 32);
  const p = version === QUIC_V2 ? 'quicv2 ' : 'quic ';
  return { key: expandLabel(secret, p + 'key', 16), iv: expandLabel(secret, p + 'iv', 12), hp: expandLabel(secret, p + 'hp', 16) };
}

function isKnownVersion(v: number): boolean {
  return v === QUIC_V1 || v === QUIC_V2 || v === QUIC_DRAFT29;
}

/** QUIC's registered UDP port (Wireshark's udp.port table entry for QUIC). */
export const QUIC_UDP_PORT = 443;

/**
 * A UDP payload that starts with a QUIC long header: of a version tcpwatch can read, or of any
 * version on QUIC's port, where a client may open with a version the server does not speak.
 */
export function startsQuicLongHeader(buf: Buffer, off: number, end: number, onQuicPort: boolean): boolean {
  return end - off >= 7 && (buf[off] & 0xc0) === 0xc0 && (onQuicPort || isKnownVersion(buf.readUInt32BE(off + 1)));
}

/** Long-header packet type bits of an Initial packet: 0 in v1, 1 in v2 (RFC 9369 §3.2). */
function isInitialType(version: number, firstByte: number): boolean {
  const type = (firstByte >> 4) & 3;
  return version === QUIC_V2 ? type === 1 : type === 0;
}

/** A variable-length integer (RFC 9000 §16) at `p`; its length goes to varLen, -1 when it does not fit. */
let varLen = 0;
function readVarint(buf: Buffer, p: number, end: number): number {
  if (p >= end) { varLen = 0; return -1; }
  const n = 1 << (buf[p] >> 6);
  if (end - p < n) { varLen = 0; return -1; }
  varLen = n;
  let v = buf[p] & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + buf[p + i];
  return v;
}

/** CRYPTO stream bytes of one direction, placed by offset, with the handshake messages read so far. */
class CryptoStream {
  buf: Buffer | null = null;
  /** Received [start, end) ranges, merged and sorted. */
  readonly ranges: number[] = [];
  /** Offset up to which handshake messages have been handed on. */
  consumed = 0;
  largestPn = -1;
  /** Bytes refused because they lay beyond MAX_CRYPTO_BYTES. */
  refused = 0;

  add(data: Buffer, off: number, len: number, at: number): void {
    if (len === 0) return;
    if (at + len > MAX_CRYPTO_BYTES) {
      this.refused += len;
      return;
    }
    const need = at + len;
    if (this.buf === null || this.buf.length < need) {
      const nb = Buffer.alloc(Math.max(need, this.buf === null ? 2048 : this.buf.length * 2));
      if (this.buf !== null) this.buf.copy(nb);
      this.buf = nb;
    }
    data.copy(this.buf, at, off, off + len);
    // merge [at, at+len) into the ranges
    const r = this.ranges;
    let s = at, e = at + len;
    const out: number[] = [];
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i + 1] < s) out.push(r[i], r[i + 1]);
      else if (r[i] > e) {
        if (!placed) { out.push(s, e); placed = true; }
        out.push(r[i], r[i + 1]);
      } else {
        s = Math.min(s, r[i]);
        e = Math.max(e, r[i + 1]);
      }
    }
    if (!placed) out.push(s, e);
    r.length = 0;
    for (const v of out) r.push(v);
  }

  /** Bytes available from offset 0 without a hole. */
  contiguous(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }
}

class Connection {
  version = 0;
  /** The client's address and port, to tell the sides apart. */
  clientKey = '';
  clientKeys: Keys | null = null;
  serverKeys: Keys | null = null;
  readonly streams: [CryptoStream, CryptoStream] = [new CryptoStream(), new CryptoStream()];
}

/** A handshake message found in the CRYPTO stream: where it lies and which side sent it. */
export interface QuicMessage {
  buf: Buffer;
  off: number;
  /** Body length (without the 4-byte header). */
  len: number;
  fromServer: boolean;
}

export class QuicInitialReader {
  private readonly conns = new Map<string, Connection>();
  private readonly hdr = Buffer.alloc(1 + 4 + 2 + 2 * MAX_CID_LEN + 8 + 8 + 4);
  /** Packets whose protection could not be removed (not Initial keys, or damaged). */
  undecryptable = 0;

  /**
   * Read the Initial packets of one UDP datagram (coalesced packets included) and call `out` for
   * each handshake message that becomes complete. Returns whether any packet was a QUIC Initial
   * that decrypted.
   */
  datagram(buf: Buffer, off: number, end: number, src: string, dst: string, out: (m: QuicMessage) => void): boolean {
    let any = false;
    let p = off;
    while (end - p >= 7) {
      const first = buf[p];
      if ((first & 0xc0) !== 0xc0) break; // short header or not QUIC: nothing more we can read
      const version = buf.readUInt32BE(p + 1);
      if (!isKnownVersion(version)) {
        if (version !== 0 && ((first >> 4) & 3) === 0) this.unknownVersionInitial(src, dst, version);
        break;
      }
      let q = p + 5;
      const dcidLen = buf[q];
      if (dcidLen > MAX_CID_LEN || end - q - 1 < dcidLen + 1) break;
      const dcidOff = q + 1;
      q = dcidOff + dcidLen;
      const scidLen = buf[q];
      if (scidLen > MAX_CID_LEN || end - q - 1 < scidLen) break;
      q += 1 + scidLen;
      const initial = isInitialType(version, first);
      if (initial) {
        const tokenLen = readVarint(buf, q, end);
        if (tokenLen < 0 || end - q - varLen < tokenLen) break;
        q += varLen + tokenLen;
      }
      const length = readVarint(buf, q, end);
      if (length < 0) break;
      q += varLen;
      const pnOffset = q;
      if (end - pnOffset < length) break;
      const packetEnd = pnOffset + length;
      if (initial && this.initialPacket(buf, p, pnOffset, packetEnd, version, dcidOff, dcidLen, src, dst, out)) any = true;
      p = packetEnd;
    }
    return any;
  }

  private connection(src: string, dst: string, create: boolean): Connection | null {
    const key = src < dst ? src + '|' + dst : dst + '|' + src;
    let c = this.conns.get(key);
    if (c === undefined && create) {
      if (this.conns.size >= MAX_CONNECTIONS) {
        for (const k of this.conns.keys()) { this.conns.delete(k); break; }
      }
      c = new Connection();
      c.clientKey = src;
      this.conns.set(key, c);
    }
    return c ?? null;
  }

  /**
   * A client's first Initial in a version tcpwatch cannot read (often a reserved one, sent to force
   * Version Negotiation, RFC 9000 §6). The connection keeps that version, so that the Initial the
   * client sends again in the negotiated version is recognised as a change of version (below).
   */
  private unknownVersionInitial(src: string, dst: string, version: number): void {
    const conn = this.connection(src, dst, false) ?? this.connection(src, dst, true)!;
    if (conn.clientKey === src && conn.clientKeys === null) conn.version = version;
  }

  private initialPacket(buf: Buffer, start: number, pnOffset: number, packetEnd: number, version: number,
    dcidOff: number, dcidLen: number, src: string, dst: string, out: (m: QuicMessage) => void): boolean {
    if (packetEnd - pnOffset < 4 + SAMPLE_LEN) return false;
    let conn = this.connection(src, dst, false);
    const fromServer = conn !== null && conn.clientKey !== src;
    let keys: Keys | null = null;
    if (!fromServer) {
      if (conn !== null && conn.version !== 0 && conn.version !== version) {
        // The first client Initial after a change of version (Version Negotiation) is not read, as
        // tshark 4.0 does not read it: Initial keys are derived again for the new version, and the
        // server's Initials and the client's later ones decrypt with them.
        this.setKeys(conn, version, buf.subarray(dcidOff, dcidOff + dcidLen));
        return false;
      }
      // A client derives Initial keys from the Destination Connection ID of its first Initial; a
      // later one (after a Retry) may start over with a new ID.
      const dcid = buf.subarray(dcidOff, dcidOff + dcidLen);
      if (conn === null) conn = this.connection(src, dst, true)!;
      if (conn.clientKeys === null) this.setKeys(conn, version, dcid);
      keys = conn.clientKeys;
      let plain = this.unprotect(buf, start, pnOffset, packetEnd, keys!, conn.streams[0]);
      if (plain === null) {
        this.setKeys(conn, version, dcid);
        plain = this.unprotect(buf, start, pnOffset, packetEnd, conn.clientKeys!, conn.streams[0]);
      }
      if (plain === null) return false;
      this.frames(plain, conn.streams[0], false, out);
      return true;
    }
    if (conn === null || conn.serverKeys === null) return false;
    const plain = this.unprotect(buf, start, pnOffset, packetEnd, conn.serverKeys, conn.streams[1]);
    if (plain === null) return false;
    this.frames(plain, conn.streams[1], true, out);
    return true;
  }

  private setKeys(conn: Connection, version: number, dcid: Buffer): void {
    conn.version = version;
    conn.clientKeys = initialKeys(version, dcid, false);
    conn.serverKeys = initialKeys(version, dcid, true);
  }

  /** Remove header protection and decrypt (RFC 9001 §5.3, §5.4); null when the tag does not verify. */
  private unprotect(buf: Buffer, start: number, pnOffset: number, packetEnd: number, keys: Keys, stream: CryptoStream): Buffer | null {
    const sampleOff = pnOffset + 4;
    if (keys.hpCipher === undefined) {
      keys.hpCipher = createCipheriv('aes-128-ecb', keys.hp, null);
      keys.hpCipher.setAutoPadding(false);
    }
    const mask = keys.hpCipher.update(buf.subarray(sampleOff, sampleOff + SAMPLE_LEN));
    const first = buf[start] ^ (mask[0] & 0x0f);
    const pnLen = (first & 3) + 1;
    const hdrLen = pnOffset - start + pnLen;
    if (hdrLen > this.hdr.length || packetEnd - pnOffset - pnLen < TAG_LEN) {
      this.undecryptable++;
      return null;
    }
    const header = this.hdr.subarray(0, hdrLen);
    buf.copy(header, 0, start, pnOffset + pnLen);
    header[0] = first;
    let truncated = 0;
    for (let i = 0; i < pnLen; i++) {
      header[pnOffset - start + i] ^= mask[1 + i];
      truncated = truncated * 256 + header[pnOffset - start + i];
    }
    const pn = decodePacketNumber(stream.largestPn, truncated, pnLen * 8);
    const nonce = Buffer.from(keys.iv);
    for (let i = 0, v = pn; i < 8 && v > 0; i++, v = Math.floor(v / 256)) nonce[11 - i] ^= v & 0xff;
    const payload = buf.subarray(pnOffset + pnLen, packetEnd - TAG_LEN);
    try {
      const d = createDecipheriv('aes-128-gcm', keys.key, nonce);
      d.setAAD(header);
      d.setAuthTag(buf.subarray(packetEnd - TAG_LEN, packetEnd));
      const plain = Buffer.concat([d.update(payload), d.final()]);
      if (pn > stream.largestPn) stream.largestPn = pn;
      return plain;
    } catch {
      // The tag did not verify: these are not this connection's Initial keys, or the bytes are damaged.
      this.undecryptable++;
      return null;
    }
  }

  /** CRYPTO frames of a decrypted Initial packet (RFC 9000 §19), placed in the stream; other frames skipped. */
  private frames(plain: Buffer, stream: CryptoStream, fromServer: boolean, out: (m: QuicMessage) => void): void {
    const end = plain.length;
    let p = 0;
    frames: while (p < end) {
      const type = plain[p++];
      let skip = 0; // varints to pass over
      switch (type) {
        case 0x00: // PADDING
        case 0x01: // PING
          continue;
        case 0x02: // ACK: largest, delay, range count, first range, ranges (gap, length) …
        case 0x03: { // … and three ECN counts
          for (let k = 0; k < 4; k++) {
            const v = readVarint(plain, p, end);
            if (v < 0) break frames;
            p += varLen;
            if (k === 2) skip = v;
          }
          // Each range takes at least two bytes: a count beyond what is left is damage.
          if (skip > (end - p) / 2) break frames;
          skip = skip * 2 + (type === 0x03 ? 3 : 0);
          break;
        }
        case 0x06: { // CRYPTO: offset, length, data
          const at = readVarint(plain, p, end);
          if (at < 0) break frames;
          p += varLen;
          const len = readVarint(plain, p, end);
          if (len < 0 || end - p - varLen < len) break frames;
          p += varLen;
          stream.add(plain, p, len, at);
          p += len;
          continue;
        }
        case 0x1c: // CONNECTION_CLOSE (transport): error code, frame type, reason phrase
        case 0x1d: { // (application): error code, reason phrase
          for (let k = 0; k < (type === 0x1c ? 2 : 1); k++) {
            if (readVarint(plain, p, end) < 0) break frames;
            p += varLen;
          }
          const rl = readVarint(plain, p, end);
          if (rl < 0 || end - p - varLen < rl) break frames;
          p += varLen + rl;
          continue;
        }
        default:
          break frames; // no other frame may appear in an Initial packet
      }
      for (let k = 0; k < skip; k++) {
        if (readVarint(plain, p, end) < 0) break frames;
        p += varLen;
      }
    }
    this.messages(stream, fromServer, out);
  }

  /** Hand on each handshake message the contiguous CRYPTO bytes now complete. */
  private messages(stream: CryptoStream, fromServer: boolean, out: (m: QuicMessage) => void): void {
    const have = stream.contiguous();
    const b = stream.buf;
    while (b !== null && have - stream.consumed >= HS_HEADER_LEN) {
      const at = stream.consumed;
      const len = b.readUIntBE(at + 1, 3);
      if (have - at - HS_HEADER_LEN < len) break;
      out({ buf: b, off: at, len, fromServer });
      stream.consumed = at + HS_HEADER_LEN + len;
    }
  }
}

/** RFC 9000 Appendix A.3: the full packet number nearest to the one expected. */
function decodePacketNumber(largest: number, truncated: number, bits: number): number {
  const expected = largest + 1;
  const win = 2 ** bits;
  const half = win / 2;
  const candidate = Math.floor(expected / win) * win + truncated;
  if (candidate <= expected - half && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + half && candidate >= win) return candidate - win;
  return candidate;
}
