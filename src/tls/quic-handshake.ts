// TLS handshake messages carried in QUIC CRYPTO frames (RFC 9001 §4): no records, only the
// handshake stream, which the QUIC reader (src/protocols/quic/initial.ts) hands on in pieces. Each
// piece is one call of Wireshark 4.0's dissect_tls13_handshake, read here as its
// dissect_tls_handshake reads it on the first pass: a message that continued from earlier pieces
// is completed (its last fragment, the list of fragments, then the whole message) or extended (a
// fragment, and nothing else); whole messages follow; one the piece cuts short starts a new
// reassembly. What each call showed is kept per frame for the tree (src/fields/tls-tree.ts), whose
// `tls` subtrees stand in the QUIC CRYPTO frames that carried them, as in tshark.

import { Dissection, Slot } from '../decode/dissection';
import type { CryptoStream, QuicCryptoHandoffs } from '../protocols/quic/initial';
import { HandshakeType, HS_HEADER_LEN, HelloView, isNamedHandshakeType, looksEncryptedHandshake } from './handshake';
import { TLSV1DOT3_VERSION } from './records';
import { MsgFlag, TlsInfo } from './tls-info';

/** Pieces of calls one frame shows at most, and handshake fragments listed per frame and per message. */
export const MAX_PIECES = 128;
const MAX_FRAME_HS_FRAGMENTS = 512;
export const MAX_HS_FRAGMENTS = 256;

/** What a call shows, in order. */
export const enum PieceKind {
  /** The last fragment of a message that began in earlier calls; the whole message (`msg`) follows it. */
  LastFragment = 1,
  /** A fragment of a message that is not complete yet (it began in this call or an earlier one). */
  Fragment = 2,
  /** A whole message (`msg`). */
  Message = 3,
  /** Bytes that look encrypted (Wireshark's guess); nothing else in the call. */
  Encrypted = 4,
}

/** A call's label names a message type, or one of these. */
export const LABEL_MULTIPLE = -1;
export const LABEL_ENCRYPTED = -2;

/** The frame's TLS calls over QUIC CRYPTO data and what each showed. */
export class QuicHandshakePieces {
  frame = -1;
  calls = 0;
  /** Per call: the QUIC reader's handoff it read. */
  readonly handoff = new Int16Array(MAX_PIECES);
  /** Per call: the record label's message type, LABEL_MULTIPLE or LABEL_ENCRYPTED, and whether " (fragment)" follows it. */
  readonly label = new Int16Array(MAX_PIECES);
  readonly labelFragment = new Uint8Array(MAX_PIECES);
  count = 0;
  readonly call = new Int16Array(MAX_PIECES);
  readonly kind = new Uint8Array(MAX_PIECES);
  readonly type = new Uint8Array(MAX_PIECES);
  readonly buf: Buffer[] = new Array<Buffer>(MAX_PIECES);
  readonly off = new Int32Array(MAX_PIECES);
  readonly len = new Int32Array(MAX_PIECES);
  /** The TlsInfo message a LastFragment or Message piece shows, -1 none. */
  readonly msg = new Int16Array(MAX_PIECES);
  /** LastFragment: its message's fragments [fragFirst, fragFirst + fragCount) (frame, length), and how many there were. */
  readonly fragFirst = new Int32Array(MAX_PIECES);
  readonly fragCount = new Int32Array(MAX_PIECES);
  readonly fragTotal = new Int32Array(MAX_PIECES);
  frags = 0;
  readonly fragFrame = new Int32Array(MAX_FRAME_HS_FRAGMENTS);
  readonly fragLen = new Int32Array(MAX_FRAME_HS_FRAGMENTS);

  reset(frame: number): void {
    this.frame = frame;
    this.calls = 0;
    this.count = 0;
    this.frags = 0;
  }

  /** The pieces of `d`'s frame, or null when none were read for it. */
  static of(d: Dissection): QuicHandshakePieces | null {
    const p = quicHandshakePieces.peek(d);
    return p !== undefined && p.frame === d.number && p.calls > 0 ? p : null;
  }
}

export const quicHandshakePieces = new Slot(() => new QuicHandshakePieces());

/** A handshake message being reassembled in one direction: where it starts in the stream, and its fragments. */
class HandshakeReassembly {
  active = false;
  start = 0;
  type = 0;
  /** Bytes collected so far. */
  have = 0;
  count = 0;
  readonly frame: number[] = [];
  readonly len: number[] = [];

  begin(start: number, type: number): void {
    this.active = true;
    this.start = start;
    this.type = type;
    this.have = 0;
    this.count = 0;
  }

  add(frame: number, len: number): void {
    const k = this.count++;
    this.have += len;
    if (k >= MAX_HS_FRAGMENTS) return;
    this.frame[k] = frame;
    this.len[k] = len;
  }
}

function reassemblyOf(stream: CryptoStream): HandshakeReassembly {
  if (!(stream.handshake instanceof HandshakeReassembly)) stream.handshake = new HandshakeReassembly();
  return stream.handshake as HandshakeReassembly;
}

/**
 * One TLS call over handoff h of the frame: a `tls` layer, the pieces it shows, and the messages it
 * completes added to `t` (Client and Server Hellos parsed with `hello`). The stream bytes before
 * the handoff are all in its buffer: a message that continues is read whole from there.
 */
export function readHandoff(d: Dissection, t: TlsInfo, handoffs: QuicCryptoHandoffs, h: number, pieces: QuicHandshakePieces, hello: HelloView): void {
  if (pieces.frame !== d.number) pieces.reset(d.number);
  if (pieces.calls >= MAX_PIECES) return;
  const c = pieces.calls++;
  pieces.handoff[c] = h;
  pieces.label[c] = LABEL_MULTIPLE;
  pieces.labelFragment[c] = 0;
  t.calls++;
  const buf = handoffs.buf[h];
  const end = handoffs.streamOff[h] + handoffs.len[h];
  let p = handoffs.streamOff[h];
  const hs = reassemblyOf(handoffs.stream[h]);
  let first = true;
  const label = (type: number, fragment: boolean): void => {
    pieces.label[c] = first ? type : LABEL_MULTIPLE;
    pieces.labelFragment[c] = first && fragment ? 1 : 0;
  };
  if (hs.active) {
    // The message continues: as much of this piece as it still needs.
    let take = end - p;
    let msgLen = 0;
    if (hs.have + take >= HS_HEADER_LEN) {
      msgLen = HS_HEADER_LEN + buf.readUIntBE(hs.start + 1, 3);
      if (take > msgLen - hs.have) take = msgLen - hs.have;
    }
    hs.add(d.number, take);
    if (msgLen === 0 || hs.have < msgLen) {
      first = false;
      label(hs.type, true);
      piece(pieces, c, PieceKind.Fragment, hs.type, buf, p, end - p, -1);
      return;
    }
    hs.active = false;
    const m = message(t, buf, hs.start, msgLen, MsgFlag.Reassembled, hello);
    const k = piece(pieces, c, PieceKind.LastFragment, hs.type, buf, p, take, m);
    if (k >= 0) listFragments(pieces, k, hs);
    label(t.msgType[m] === HandshakeType.ServerHello && (t.msgFlags[m] & MsgFlag.HelloRetryRequest) !== 0 ? HandshakeType.HelloRetryRequest : hs.type, false);
    first = false;
    p += take;
  } else if (looksEncryptedHandshake(buf, p, end, true)) {
    label(LABEL_ENCRYPTED, false);
    piece(pieces, c, PieceKind.Encrypted, 0, buf, p, end - p, -1);
    return;
  }
  while (p < end) {
    const left = end - p;
    const msgLen = left >= HS_HEADER_LEN ? HS_HEADER_LEN + buf.readUIntBE(p + 1, 3) : 0;
    if (msgLen === 0 || left < msgLen) {
      hs.begin(p, buf[p]);
      hs.add(d.number, left);
      label(buf[p], true);
      piece(pieces, c, PieceKind.Fragment, buf[p], buf, p, left, -1);
      return;
    }
    if (!first && !isNamedHandshakeType(buf[p])) {
      // Wireshark shows a message of no known type only first in its call.
      p += msgLen;
      continue;
    }
    const m = message(t, buf, p, msgLen, 0, hello);
    piece(pieces, c, PieceKind.Message, buf[p], buf, p, msgLen, m);
    label(m >= 0 && (t.msgFlags[m] & MsgFlag.HelloRetryRequest) !== 0 ? HandshakeType.HelloRetryRequest : buf[p], false);
    first = false;
    p += msgLen;
  }
}

function piece(pieces: QuicHandshakePieces, c: number, kind: PieceKind, type: number, buf: Buffer, off: number, len: number, msg: number): number {
  if (pieces.count >= MAX_PIECES) return -1;
  const k = pieces.count++;
  pieces.call[k] = c;
  pieces.kind[k] = kind;
  pieces.type[k] = type;
  pieces.buf[k] = buf;
  pieces.off[k] = off;
  pieces.len[k] = len;
  pieces.msg[k] = msg;
  pieces.fragFirst[k] = pieces.frags;
  pieces.fragCount[k] = 0;
  pieces.fragTotal[k] = 0;
  return k;
}

function listFragments(pieces: QuicHandshakePieces, k: number, hs: HandshakeReassembly): void {
  pieces.fragTotal[k] = hs.count;
  for (let i = 0; i < Math.min(hs.count, MAX_HS_FRAGMENTS) && pieces.frags < MAX_FRAME_HS_FRAGMENTS; i++) {
    const f = pieces.frags++;
    pieces.fragFrame[f] = hs.frame[i];
    pieces.fragLen[f] = hs.len[i];
    pieces.fragCount[k]++;
  }
}

/** A whole message at [off, off + msgLen) of the stream; its TlsInfo index, -1 when the frame's list is full. */
function message(t: TlsInfo, buf: Buffer, off: number, msgLen: number, flags: number, hello: HelloView): number {
  const type = buf[off];
  flags |= MsgFlag.Quic;
  if (type === HandshakeType.ClientHello || type === HandshakeType.ServerHello) {
    if (!hello.parse(buf, off, off + msgLen)) flags |= MsgFlag.Malformed;
    if (hello.isHrr) flags |= MsgFlag.HelloRetryRequest;
  }
  return t.addMessage(buf, off, type, msgLen - HS_HEADER_LEN, 0, flags, TLSV1DOT3_VERSION);
}
