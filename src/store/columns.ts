// The packet index: one row of numbers per packet, stored column by column in chunks of 65,536
// packets. A chunk is one buffer with a typed-array view per column; a growing capture only ever
// adds rows and chunks (nothing is re-indexed or moved), so the indexing process can send just the
// new rows of each column.
//
// Bytes per packet (the budget is 64):
//   tsSec 4, tsNsec 4, dataOff 8, capLen 4, origLen 4, src 4, dst 4, srcPort 2, dstPort 2,
//   stream 4, relSeq 4, relAck 4, window 4, tcpFlags 2, analysis 2, link 1, proto 1, misc 1,
//   tlsContent 1, tlsHandshake 2, app 2                                             = 64

export const CHUNK_BITS = 16;
export const CHUNK_SIZE = 1 << CHUNK_BITS;
export const CHUNK_MASK = CHUNK_SIZE - 1;
export const BYTES_PER_PACKET = 64;

/** Bits of the `misc` column. */
export const enum Misc {
  /** Malformed layer (Malformed enum, 0..4). */
  MalformedMask = 0x07,
  /** Segment travels from the server (the side that did not send the first packet). */
  FromServer = 0x08,
  /** The peer's initial sequence number was known, so relAck is relative. */
  AckRelative = 0x10,
  /** Accurate ECN negotiated on the connection. */
  UseAce = 0x20,
  /** The packet has a Dup ACK entry in the sparse extras table. */
  HasDupAck = 0x40,
  /** An ICMP error: its transport ports and stream are the quoted packet's, which conversation tables leave out as tshark's do. */
  IcmpQuote = 0x80,
}

/** `window` value meaning "scale factor unknown" (tcp.window_size then equals the raw window). */
export const WINDOW_UNKNOWN = -1;
/** `stream` value for packets without an analysed TCP header. */
export const NO_STREAM = -1;
/** `app` value when the application summary table was full: the row is summarised by replaying its stream. */
export const APP_NOT_STORED = 0xffff;

export class PacketChunk {
  readonly tsSec: Uint32Array;
  readonly tsNsec: Uint32Array;
  /** Where the frame's captured bytes start: a file offset, or an offset in the in-memory frame store. */
  readonly dataOff: Float64Array;
  readonly capLen: Uint32Array;
  readonly origLen: Uint32Array;
  /** Source and destination addresses as ids into the AddressTable (0 = none). */
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** tcp.stream, NO_STREAM when absent. */
  readonly stream: Int32Array;
  readonly relSeq: Uint32Array;
  readonly relAck: Uint32Array;
  /** tcp.window_size (scaled), WINDOW_UNKNOWN when the scale factor is unknown. */
  readonly window: Int32Array;
  readonly tcpFlags: Uint16Array;
  /** TcpAnalysisFlag bits. */
  readonly analysis: Uint16Array;
  /** Id into the store's (link type, interface) table. */
  readonly link: Uint8Array;
  /** Innermost decoded layer up to the transport (Proto id). */
  readonly proto: Uint8Array;
  readonly misc: Uint8Array;
  /** TLS record content types in the frame, TlsContentBit bits. */
  readonly tlsContent: Uint8Array;
  /** TLS handshake message types in the frame, TlsHandshakeBit bits. */
  readonly tlsHandshake: Uint16Array;
  /** Id of the application-layer Protocol/Info pair in the AppSummaryTable (0 = none). */
  readonly app: Uint16Array;

  /** Every column, in layout order (how the indexing process sends new rows). */
  readonly columns: (Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array)[];

  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(CHUNK_SIZE * BYTES_PER_PACKET)) {
    // 8-byte columns first, then 4, 2 and 1 so every view is aligned.
    let p = 0;
    const take = (bytes: number): number => {
      const at = p;
      p += bytes * CHUNK_SIZE;
      return at;
    };
    const n = CHUNK_SIZE;
    this.dataOff = new Float64Array(sab, take(8), n);
    this.tsSec = new Uint32Array(sab, take(4), n);
    this.tsNsec = new Uint32Array(sab, take(4), n);
    this.capLen = new Uint32Array(sab, take(4), n);
    this.origLen = new Uint32Array(sab, take(4), n);
    this.src = new Uint32Array(sab, take(4), n);
    this.dst = new Uint32Array(sab, take(4), n);
    this.stream = new Int32Array(sab, take(4), n);
    this.relSeq = new Uint32Array(sab, take(4), n);
    this.relAck = new Uint32Array(sab, take(4), n);
    this.window = new Int32Array(sab, take(4), n);
    this.srcPort = new Uint16Array(sab, take(2), n);
    this.dstPort = new Uint16Array(sab, take(2), n);
    this.tcpFlags = new Uint16Array(sab, take(2), n);
    this.analysis = new Uint16Array(sab, take(2), n);
    this.tlsHandshake = new Uint16Array(sab, take(2), n);
    this.app = new Uint16Array(sab, take(2), n);
    this.link = new Uint8Array(sab, take(1), n);
    this.proto = new Uint8Array(sab, take(1), n);
    this.misc = new Uint8Array(sab, take(1), n);
    this.tlsContent = new Uint8Array(sab, take(1), n);
    if (p !== sab.byteLength) throw new Error(`packet chunk layout is ${p} bytes, buffer is ${sab.byteLength}`);
    this.columns = [
      this.dataOff, this.tsSec, this.tsNsec, this.capLen, this.origLen, this.src, this.dst, this.stream, this.relSeq,
      this.relAck, this.window, this.srcPort, this.dstPort, this.tcpFlags, this.analysis, this.tlsHandshake, this.app,
      this.link, this.proto, this.misc, this.tlsContent,
    ];
  }
}

// TLS content types (RFC 8446 §5.1) as bits of the tlsContent column.
export const enum TlsContentBit {
  ChangeCipherSpec = 1 << 0,
  Alert = 1 << 1,
  Handshake = 1 << 2,
  ApplicationData = 1 << 3,
  Heartbeat = 1 << 4,
  Other = 1 << 5,
}

export function tlsContentBit(contentType: number): number {
  switch (contentType) {
    case 20: return TlsContentBit.ChangeCipherSpec;
    case 21: return TlsContentBit.Alert;
    case 22: return TlsContentBit.Handshake;
    case 23: return TlsContentBit.ApplicationData;
    case 24: return TlsContentBit.Heartbeat;
    default: return TlsContentBit.Other;
  }
}

// TLS handshake types (RFC 8446 §4, RFC 5246 §7.4) as bits of the tlsHandshake column.
export const enum TlsHandshakeBit {
  HelloRequest = 1 << 0,
  ClientHello = 1 << 1,
  ServerHello = 1 << 2,
  NewSessionTicket = 1 << 3,
  EndOfEarlyData = 1 << 4,
  EncryptedExtensions = 1 << 5,
  Certificate = 1 << 6,
  ServerKeyExchange = 1 << 7,
  CertificateRequest = 1 << 8,
  ServerHelloDone = 1 << 9,
  CertificateVerify = 1 << 10,
  ClientKeyExchange = 1 << 11,
  Finished = 1 << 12,
  KeyUpdate = 1 << 13,
  Other = 1 << 14,
}

export function tlsHandshakeBit(type: number): number {
  switch (type) {
    case 0: return TlsHandshakeBit.HelloRequest;
    case 1: return TlsHandshakeBit.ClientHello;
    case 2: return TlsHandshakeBit.ServerHello;
    case 4: return TlsHandshakeBit.NewSessionTicket;
    case 5: return TlsHandshakeBit.EndOfEarlyData;
    case 8: return TlsHandshakeBit.EncryptedExtensions;
    case 11: return TlsHandshakeBit.Certificate;
    case 12: return TlsHandshakeBit.ServerKeyExchange;
    case 13: return TlsHandshakeBit.CertificateRequest;
    case 14: return TlsHandshakeBit.ServerHelloDone;
    case 15: return TlsHandshakeBit.CertificateVerify;
    case 16: return TlsHandshakeBit.ClientKeyExchange;
    case 20: return TlsHandshakeBit.Finished;
    case 24: return TlsHandshakeBit.KeyUpdate;
    default: return TlsHandshakeBit.Other;
  }
}
