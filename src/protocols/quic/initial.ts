// QUIC Initial protection (RFC 9001 §5.2) and the TLS handshake inside Initial packets (RFC 9000
// §17.2.2). Initial packets are protected with keys that anyone can derive from the client's first
// Destination Connection ID, so the Client Hello and Server Hello they carry in CRYPTO frames can be
// read, as Wireshark reads them. `initialKeys` serves the QUIC stage of this folder (stage.ts), which
// removes the protection once per packet; `QuicInitialReader` is what the TLS analyzer
// (src/tls/analyzer.ts) reads the stage's plaintexts with, for the Hellos their CRYPTO frames carry.
//
// Per QUIC connection (the stage's number) CRYPTO frames, which a client may send in any order and
// across several packets, are placed by offset into a bounded per-direction buffer. What is handed to TLS, and when, follows Wireshark 4.0's
// desegment_quic_crypto: bytes that continue the stream in order go to TLS with their CRYPTO frame;
// a frame past a hole starts an out-of-order reassembly that takes every new byte until the hole is
// filled, and the frame that fills it hands TLS the whole run at once; bytes seen before go nowhere.
// Each handoff is one TLS dissector call in tshark (one `tls` in frame.protocols); TLS itself then
// reassembles handshake messages across handoffs (src/tls/quic-handshake.ts).

import { Cipher, createHmac } from 'node:crypto';
import { Slot } from '../../decode/dissection';

/** Initial salts: QUIC v1 (RFC 9001 §5.2), v2 (RFC 9369 §3.3.1), draft-29, -23 and -22. */
const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const SALT_DRAFT29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex');
const SALT_DRAFT23 = Buffer.from('c3eef712c72ebb5a11a7d2432bb46365bef9f502', 'hex');
const SALT_DRAFT22 = Buffer.from('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a', 'hex');
export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

/**
 * The draft a version's Initial protection follows, as tshark 4.0 maps it (packet-quic.c
 * quic_draft_version): IETF drafts by number, Facebook's mvfst by the draft it is based on, v1 as
 * draft 34, v2 as 100, and the versions reserved to force Version Negotiation (0x?a?a?a?a, RFC 9000
 * §15) as draft 29, whose salt tshark 4.0 then derives their keys with. 0 = not a version QUIC reads.
 */
export function quicDraftOf(version: number): number {
  if (version >>> 8 === 0xff0000) return version & 0xff;
  if (version === 0xfaceb001) return 22;
  if (version === 0xfaceb002 || version === 0xfaceb00e) return 27;
  // Google QUIC Q050, T050, T051 take QUIC's long header
  if (version === 0x51303530 || version === 0x54303530 || version === 0x54303531) return 27;
  if (((version & 0x0f0f0f0f) >>> 0) === 0x0a0a0a0a) return 29;
  if (version === QUIC_V1) return 34;
  if (version === QUIC_V2) return 100;
  return 0;
}

function saltOf(version: number): Buffer {
  if (version === QUIC_V2) return SALT_V2;
  const draft = quicDraftOf(version);
  if (draft === 0) return SALT_V1;
  if (draft <= 22) return SALT_DRAFT22;
  if (draft <= 28) return SALT_DRAFT23;
  if (draft <= 32) return SALT_DRAFT29;
  if (draft <= 34) return SALT_V1;
  return SALT_V2;
}

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
  const initial = createHmac('sha256', saltOf(version)).update(dcid).digest(); // HKDF-Extract
  const secret = expandLabel(initial, server ? 'server in' : 'client in', 32);
  const p = version === QUIC_V2 ? 'quicv2 ' : 'quic ';
  return { key: expandLabel(secret, p + 'key', 16), iv: expandLabel(secret, p + 'iv', 12), hp: expandLabel(secret, p + 'hp', 16) };
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

/**
 * Most separate received ranges (holes between them) per direction. A Client Hello split into CRYPTO
 * frames sent out of order, as browsers do, leaves a few dozen; a peer that leaves more is refusing to
 * let the stream become contiguous, and its further frames are not placed.
 */
export const MAX_CRYPTO_RANGES = 256;
/**
 * Most CRYPTO buffer bytes held over all connections (256 full directions): without it, a frame at
 * a high offset in each of MAX_CONNECTIONS new connections would reserve MAX_CRYPTO_BYTES each.
 */
const MAX_CRYPTO_BUDGET = 256 * MAX_CRYPTO_BYTES;
/** First buffer size of a direction: a classic Client Hello fits. */
const FIRST_CRYPTO_BUFFER = 2048;

/** Buffer bytes the CRYPTO streams of one reader hold, against MAX_CRYPTO_BUDGET. */
class CryptoBudget {
  held = 0;
}

/**
 * CRYPTO stream bytes of one direction, placed by offset, with the handshake messages read so far.
 * Which bytes arrived is a bitmap over the bounded window (one bit per byte), so placing a frame costs
 * its length, whatever the order of the frames: a list of ranges rebuilt per frame costs the number of
 * ranges each time, quadratic under a flood of one-byte frames at every other offset.
 */
export class CryptoStream {
  buf: Buffer | null = null;
  /** Bit i set: byte i of the stream arrived. As long as buf (in bits). */
  private received: Uint8Array | null = null;
  /** Every byte before this offset arrived. */
  private contiguousEnd = 0;
  /** Maximal runs of arrived bytes now (1 once the stream is contiguous from 0). */
  ranges = 0;
  /** Every byte before this offset went to TLS (Wireshark's max_contiguous_offset). */
  handedOn = 0;
  /** The out-of-order reassembly being collected: its first offset (-1: none) and its end so far. */
  oooStart = -1;
  oooEnd = 0;
  /** Its fragments as Wireshark lists them (frame, stream offset, length), at most MAX_SHOWN_FRAGMENTS. */
  readonly oooFrame: number[] = [];
  readonly oooOff: number[] = [];
  readonly oooLen: number[] = [];
  oooCount = 0;
  /** What TLS keeps for this direction between handoffs (its handshake reassembly); the reader never reads it. */
  handshake: unknown = null;
  /** Bytes refused because they lay beyond MAX_CRYPTO_BYTES, or would have exceeded MAX_CRYPTO_RANGES or the reader's budget. */
  refused = 0;
  /** CRYPTO frames refused (any of the reasons above). */
  refusedFrames = 0;
  /** The peer left more than MAX_CRYPTO_RANGES holes: the direction is given up, as a flood. */
  flooded = false;

  constructor(private readonly budget: CryptoBudget) {}

  /** Buffer bytes held (for the reader's budget). */
  get held(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  private has(i: number): boolean {
    const r = this.received!;
    return (i >> 3) < r.length && (r[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** Place `data[off .. off+len)`, the stream bytes at offset `at`; returns false when refused. */
  add(data: Buffer, off: number, len: number, at: number): boolean {
    if (len === 0) return true;
    if (this.flooded || at + len > MAX_CRYPTO_BYTES) return this.refuse(len);
    const end = at + len;
    if (end <= this.contiguousEnd) return true; // sent again: nothing new
    if (!this.reserve(end)) return this.refuse(len);
    // Runs already there that this frame touches or overlaps merge with it into one.
    let touched = 0;
    const from = at > 0 ? at - 1 : 0;
    const to = Math.min(end, this.buf!.length - 1); // the byte just after, when inside the window
    for (let i = from; i <= to; i++) {
      if (this.has(i) && (i === from || !this.has(i - 1))) touched++;
    }
    if (this.ranges + 1 - touched > MAX_CRYPTO_RANGES) {
      this.flooded = true;
      return this.refuse(len);
    }
    this.ranges += 1 - touched;
    data.copy(this.buf!, at, off, off + len);
    const r = this.received!;
    for (let i = at; i < end; i++) r[i >> 3] |= 1 << (i & 7);
    let c = this.contiguousEnd;
    while (c < this.buf!.length && this.has(c)) c++;
    this.contiguousEnd = c;
    return true;
  }

  private refuse(len: number): boolean {
    this.refused += len;
    this.refusedFrames++;
    return false;
  }

  /** Room for bytes up to `need`: the buffer doubles (to at most MAX_CRYPTO_BYTES), within the reader's budget. */
  private reserve(need: number): boolean {
    const have = this.held;
    if (have >= need) return true;
    let size = have === 0 ? FIRST_CRYPTO_BUFFER : have;
    while (size < need) size *= 2;
    if (size > MAX_CRYPTO_BYTES) size = MAX_CRYPTO_BYTES;
    if (this.budget.held + size - have > MAX_CRYPTO_BUDGET) return false;
    const nb = Buffer.alloc(size);
    const nr = new Uint8Array(size >> 3);
    if (this.buf !== null) {
      this.buf.copy(nb);
      nr.set(this.received!);
    }
    this.budget.held += size - have;
    this.buf = nb;
    this.received = nr;
    return true;
  }

  /** Give the buffer back to the budget (the connection is forgotten). */
  release(): void {
    this.budget.held -= this.held;
    this.buf = null;
    this.received = null;
  }

  /** Bytes available from offset 0 without a hole. */
  contiguous(): number {
    return this.contiguousEnd;
  }
}

/** The two CRYPTO streams of one QUIC connection: client to server, server to client. */
class Connection {
  readonly streams: [CryptoStream, CryptoStream];

  constructor(budget: CryptoBudget) {
    this.streams = [new CryptoStream(budget), new CryptoStream(budget)];
  }
}

/** Handoffs to TLS one datagram holds at most, and fragments of an out-of-order reassembly listed. */
export const MAX_HANDOFFS = 64;
export const MAX_SHOWN_FRAGMENTS = 256;
const MAX_FRAME_FRAGMENTS = 512;

/**
 * What the reader handed TLS in one datagram, in order: per handoff the CRYPTO frame it came with
 * (its packet's offset in the frame, the frame's offset in the packet's plaintext), the stream bytes
 * [streamOff, streamOff + len) of `buf`, and for a run reassembled out of order its fragments
 * (frame, offset from the run's start, length) sorted by offset, as the QUIC tree lists them.
 */
export class QuicCryptoHandoffs {
  frame = -1;
  count = 0;
  readonly fromServer = new Uint8Array(MAX_HANDOFFS);
  readonly pktOff = new Int32Array(MAX_HANDOFFS);
  readonly frameOff = new Int32Array(MAX_HANDOFFS);
  readonly buf: Buffer[] = new Array<Buffer>(MAX_HANDOFFS);
  readonly streamOff = new Int32Array(MAX_HANDOFFS);
  readonly len = new Int32Array(MAX_HANDOFFS);
  /** The direction's stream, which TLS keeps its state with. */
  readonly stream: CryptoStream[] = new Array<CryptoStream>(MAX_HANDOFFS);
  /** Reassembled out of order: the fragments [fragFirst, fragFirst + fragCount) below, and how many there were. */
  readonly fragFirst = new Int32Array(MAX_HANDOFFS);
  readonly fragCount = new Int32Array(MAX_HANDOFFS);
  readonly fragTotal = new Int32Array(MAX_HANDOFFS);
  frags = 0;
  readonly fragFrame = new Int32Array(MAX_FRAME_FRAGMENTS);
  readonly fragOff = new Int32Array(MAX_FRAME_FRAGMENTS);
  readonly fragLen = new Int32Array(MAX_FRAME_FRAGMENTS);
  /** Handoffs past MAX_HANDOFFS in one datagram, not handed on. */
  omitted = 0;

  reset(frame: number): void {
    this.frame = frame;
    this.count = 0;
    this.frags = 0;
    this.omitted = 0;
  }
}

/** The frame's handoffs, filled by the TLS analyzer's reader; read by the QUIC and TLS trees. */
export const quicCryptoHandoffs = new Slot(() => new QuicCryptoHandoffs());

export class QuicInitialReader {
  private readonly conns = new Map<number, Connection>();
  private readonly budget = new CryptoBudget();
  /** CRYPTO frames not placed: beyond the window, over MAX_CRYPTO_RANGES holes, or over the memory budget. */
  refusedCryptoFrames = 0;
  /** Connection directions given up for leaving more than MAX_CRYPTO_RANGES holes. */
  floodedStreams = 0;

  /** Start the handoffs of frame `frame`'s datagram. */
  beginDatagram(frame: number, out: QuicCryptoHandoffs): void {
    out.reset(frame);
  }

  /**
   * One Initial packet of the datagram, its protection already removed by the QUIC stage
   * (src/protocols/quic/stage.ts), which decrypts each packet once: its CRYPTO frames go into
   * connection `connection`'s stream of that side, and what they hand TLS into `out`.
   * `pktOff` is where the packet starts in the frame.
   */
  initialPacket(plain: Buffer, connection: number, fromServer: boolean, pktOff: number, out: QuicCryptoHandoffs): void {
    let conn = this.conns.get(connection);
    if (conn === undefined) {
      if (this.conns.size >= MAX_CONNECTIONS) {
        for (const [k, old] of this.conns) {
          old.streams[0].release();
          old.streams[1].release();
          this.conns.delete(k);
          break;
        }
      }
      conn = new Connection(this.budget);
      this.conns.set(connection, conn);
    }
    this.frames(plain, conn.streams[fromServer ? 1 : 0], fromServer, pktOff, out);
  }

  /** CRYPTO frames of a decrypted Initial packet (RFC 9000 §19), placed in the stream; other frames skipped. */
  private frames(plain: Buffer, stream: CryptoStream, fromServer: boolean, pktOff: number, out: QuicCryptoHandoffs): void {
    const end = plain.length;
    let p = 0;
    frames: while (p < end) {
      const frameOff = p;
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
          const wasFlooded = stream.flooded;
          if (!stream.add(plain, p, len, at)) {
            this.refusedCryptoFrames++;
            if (stream.flooded && !wasFlooded) this.floodedStreams++;
          } else {
            handOn(stream, at, len, fromServer, pktOff, frameOff, out);
          }
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
  }
}

/**
 * What a CRYPTO frame the stream took, `len` bytes at stream offset `at`, hands TLS (Wireshark
 * 4.0's desegment_quic_crypto, first pass): bytes TLS already had go nowhere (a retransmission) and
 * the part of a frame that overlaps them is cut off; bytes that continue the stream go to TLS with
 * this frame, unless an out-of-order reassembly is being collected, which takes every new byte until
 * no hole is left before its end, and then goes to TLS whole with the frame that filled the last hole.
 */
function handOn(stream: CryptoStream, at: number, len: number, fromServer: boolean, pktOff: number, frameOff: number, out: QuicCryptoHandoffs): void {
  let seq = at;
  const next = at + len;
  if (len === 0 || next <= stream.handedOn) return;
  if (seq < stream.handedOn) seq = stream.handedOn;
  const hole = stream.handedOn < seq;
  // The stream places every byte it takes: with no hole before this frame, TLS has all bytes up to
  // the stream's contiguous end (the reassembly's fragments joined by this one, Wireshark's loop).
  if (!hole) stream.handedOn = stream.oooStart >= 0 ? stream.contiguous() : next;
  if (stream.oooStart >= 0) {
    if (next > stream.oooEnd) stream.oooEnd = next;
    addFragment(stream, out.frame, seq, next - seq);
    if (hole || stream.handedOn < stream.oooEnd) return;
    const h = handoff(out, stream, fromServer, pktOff, frameOff, stream.oooStart, stream.oooEnd - stream.oooStart);
    if (h >= 0) listFragments(stream, out, h);
    stream.oooStart = -1;
    stream.oooCount = 0;
    return;
  }
  if (hole) {
    stream.oooStart = stream.handedOn;
    stream.oooEnd = next;
    stream.oooCount = 0;
    addFragment(stream, out.frame, seq, next - seq);
    return;
  }
  handoff(out, stream, fromServer, pktOff, frameOff, seq, next - seq);
}

function addFragment(stream: CryptoStream, frame: number, off: number, len: number): void {
  const k = stream.oooCount++;
  if (k >= MAX_SHOWN_FRAGMENTS) return;
  stream.oooFrame[k] = frame;
  stream.oooOff[k] = off;
  stream.oooLen[k] = len;
}

/** Handoff of stream bytes [off, off + len); its index, -1 past MAX_HANDOFFS. */
function handoff(out: QuicCryptoHandoffs, stream: CryptoStream, fromServer: boolean, pktOff: number, frameOff: number, off: number, len: number): number {
  if (out.count >= MAX_HANDOFFS) {
    out.omitted++;
    return -1;
  }
  const h = out.count++;
  out.fromServer[h] = fromServer ? 1 : 0;
  out.pktOff[h] = pktOff;
  out.frameOff[h] = frameOff;
  out.buf[h] = stream.buf!;
  out.stream[h] = stream;
  out.streamOff[h] = off;
  out.len[h] = len;
  out.fragFirst[h] = out.frags;
  out.fragCount[h] = 0;
  out.fragTotal[h] = 0;
  return h;
}

/** The reassembly's fragments into handoff h, by offset (then arrival), as Wireshark's fragment list keeps them. */
function listFragments(stream: CryptoStream, out: QuicCryptoHandoffs, h: number): void {
  const n = Math.min(stream.oooCount, MAX_SHOWN_FRAGMENTS);
  const order: number[] = [];
  for (let k = 0; k < n; k++) order.push(k);
  order.sort((a, b) => (stream.oooOff[a] - stream.oooOff[b]) || (a - b));
  out.fragTotal[h] = stream.oooCount;
  for (const k of order) {
    if (out.frags >= MAX_FRAME_FRAGMENTS) break;
    const i = out.frags++;
    out.fragFrame[i] = stream.oooFrame[k];
    out.fragOff[i] = stream.oooOff[k] - stream.oooStart;
    out.fragLen[i] = stream.oooLen[k];
    out.fragCount[h]++;
  }
}
