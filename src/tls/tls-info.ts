// Per-packet TLS findings: the records that end in this frame, the handshake messages in them and
// what the Info column says about them. Filled by src/tls/analyzer.ts; the decoder only resets it.
// Each record and message names the buffer it lies in: the frame itself, or for a record completed
// from earlier segments (or a handshake message spanning records) the conversation's reassembly
// buffer, which stays untouched until the next frame of that direction.

export const MAX_TLS_RECORDS = 64;
export const MAX_TLS_MESSAGES = 64;
export const MAX_TLS_INFO = 96;
/** Fragments listed per frame for the handshake messages reassembled from several records. */
export const MAX_TLS_FRAGMENTS = 256;

/** Bits of `TlsInfo.recordFlags`. */
export const enum RecordFlag {
  /** TLS 1.3 protected record: its type byte is tls.record.opaque_type, not tls.record.content_type. */
  Opaque = 1,
  /** Completed from bytes of earlier segments; lies in a reassembly buffer. */
  Reassembled = 2,
  /** SSL 2.0 record (2- or 3-byte header, no content type, version shown as 0x0002). */
  Sslv2 = 4,
  /** A length inside the record did not fit. */
  Malformed = 8,
  /** SSL 2.0 record whose body is encrypted: Wireshark shows no length for it. */
  Sslv2NoLength = 16,
  /** An alert whose level and description are readable: plaintext, or under a NULL cipher ahead of its MAC. */
  PlainAlert = 32,
}

/** The protocol a conversation's application data is for, as Wireshark names it under each record. */
export const enum AppProto {
  None = 0,
  /** HTTPS by port 443, or ALPN http/1.1. */
  Http = 1,
  /** ALPN h2. */
  Http2 = 2,
}

/** Bits of `TlsInfo.msgFlags`. */
export const enum MsgFlag {
  /** An SSL 2.0 message: `msgOff` is its msg_type byte, no 4-byte handshake header. */
  Sslv2 = 1,
  /** Reassembled from fragments in several records; lies in `msgBuf`. */
  Reassembled = 2,
  /** The Hello inside did not parse completely. */
  Malformed = 4,
  /** A Server Hello that is a HelloRetryRequest (RFC 8446 §4.1.4). */
  HelloRetryRequest = 8,
  /** Carried in the CRYPTO frames of QUIC Initial packets (no TLS records). */
  Quic = 16,
}

/** One piece of the Info column, in frame order; strings are made only for displayed rows. */
export const enum InfoKind {
  /** Handshake message; value = HandshakeType. */
  Handshake = 1,
  HelloRetryRequest = 2,
  EncryptedHandshake = 3,
  /** First piece of a handshake message that continues in later records; value = type. */
  HandshakeFragment = 4,
  ChangeCipherSpec = 5,
  ApplicationData = 6,
  /** value = level << 8 | description */
  Alert = 7,
  EncryptedAlert = 8,
  /** value = heartbeat type */
  Heartbeat = 9,
  EncryptedHeartbeat = 10,
  ContinuationData = 11,
  IgnoredUnknownRecord = 12,
  /** SSL 2.0 message; value = message type. */
  Ssl2Message = 13,
  Ssl2EncryptedData = 14,
}

/** How the frame's TCP payload relates to TLS, which decides the Protocol and Info columns. */
export const enum SegmentRole {
  /** Not TLS (or a retransmission TLS skips): the TCP summary stands. */
  None = 0,
  /** TLS records or messages were dissected: Protocol is the TLS version, Info lists them. */
  Tls = 1,
  /** Starts a record that later segments complete, nothing else: "[TCP segment of a reassembled PDU]". */
  PduStart = 2,
  /** Carries only the middle of a record: the TCP summary plus " [TCP segment of a reassembled PDU]". */
  PduMiddle = 3,
}

const EMPTY = Buffer.alloc(0);

export class TlsInfo {
  role: SegmentRole = SegmentRole.None;
  /** Version named in the Protocol column (0 = "SSL": not known yet). */
  protoVersion = 0;
  /** Conversation (tcp.stream) and direction (0 from the client side) of the records, for later stages. */
  stream = -1;
  direction = 0;

  recordCount = 0;
  /** Records found beyond MAX_TLS_RECORDS: parsed for state, not described. */
  recordsOmitted = 0;
  readonly recordBuf: Buffer[] = new Array<Buffer>(MAX_TLS_RECORDS).fill(EMPTY);
  /** Offset of the record header in its buffer. */
  readonly recordOff = new Int32Array(MAX_TLS_RECORDS);
  readonly contentType = new Uint8Array(MAX_TLS_RECORDS);
  readonly version = new Uint16Array(MAX_TLS_RECORDS);
  /**
   * The session's version when the record was read, else the record's own: tshark names the record
   * by it ("TLSv1.3 Record Layer" over a 0x0303 header once the Server Hello settled TLS 1.3).
   */
  readonly shownVersion = new Uint16Array(MAX_TLS_RECORDS);
  readonly length = new Uint16Array(MAX_TLS_RECORDS);
  readonly recordFlags = new Uint8Array(MAX_TLS_RECORDS);
  /** 0-based index of the record in its direction (the sequence number record protection uses). */
  readonly recordNumber = new Float64Array(MAX_TLS_RECORDS);
  /** Which pass over the frame's bytes the record came from (`calls` at the time). */
  readonly recordCall = new Uint8Array(MAX_TLS_RECORDS);
  /**
   * A record that ends with (or is all) a piece of a handshake message that is not complete yet:
   * the message's type (-1: none) and where the piece starts, shown as tshark's `Certificate (fragment)`.
   */
  readonly recordFragmentType = new Int16Array(MAX_TLS_RECORDS);
  readonly recordFragmentOff = new Int32Array(MAX_TLS_RECORDS);
  /**
   * Passes of TLS over the frame's bytes: a record completed from earlier segments is one, the
   * segment's own records after it another. Each is a TLS subtree of its own, as in tshark.
   */
  calls = 0;

  msgCount = 0;
  readonly msgBuf: Buffer[] = new Array<Buffer>(MAX_TLS_MESSAGES).fill(EMPTY);
  /** Offset of the handshake header (msg_type, length) in `msgBuf`. */
  readonly msgOff = new Int32Array(MAX_TLS_MESSAGES);
  readonly msgType = new Uint8Array(MAX_TLS_MESSAGES);
  /** Body length (without the 4-byte header). */
  readonly msgLen = new Int32Array(MAX_TLS_MESSAGES);
  /** Record the message ends in. */
  readonly msgRecord = new Uint8Array(MAX_TLS_MESSAGES);
  readonly msgFlags = new Uint8Array(MAX_TLS_MESSAGES);
  /** Session version when the message was read (decides TLS 1.3 Certificate layout). */
  readonly msgSessionVersion = new Uint16Array(MAX_TLS_MESSAGES);
  /**
   * A message reassembled from records (MsgFlag.Reassembled): its fragments, [msgFragFirst,
   * msgFragFirst + msgFragShown) of fragFrame/fragLen in stream order, and how many there were.
   */
  readonly msgFragFirst = new Int32Array(MAX_TLS_MESSAGES);
  readonly msgFragShown = new Int32Array(MAX_TLS_MESSAGES);
  readonly msgFragTotal = new Int32Array(MAX_TLS_MESSAGES);
  fragCount = 0;
  readonly fragFrame = new Int32Array(MAX_TLS_FRAGMENTS);
  readonly fragLen = new Int32Array(MAX_TLS_FRAGMENTS);

  /**
   * The conversation's cipher suite (from its Server Hello) when the frame's last handshake message
   * was read, 0 while unknown: it decides how key exchange messages are laid out.
   */
  suite = 0;
  /** What the conversation's application data carries, when tcpwatch knows (AppProto). */
  appProto: AppProto = AppProto.None;

  infoCount = 0;
  readonly infoKind = new Uint8Array(MAX_TLS_INFO);
  readonly infoValue = new Uint16Array(MAX_TLS_INFO);
  /** Info items past the first TLS call of a frame that follow a reassembled record (tshark fences them). */
  infoOmitted = 0;

  reset(): void {
    this.role = SegmentRole.None;
    this.protoVersion = 0;
    this.stream = -1;
    this.direction = 0;
    this.recordCount = 0;
    this.recordsOmitted = 0;
    this.calls = 0;
    this.msgCount = 0;
    this.fragCount = 0;
    this.suite = 0;
    this.appProto = AppProto.None;
    this.infoCount = 0;
    this.infoOmitted = 0;
  }

  addInfo(kind: InfoKind, value: number): void {
    if (this.infoCount < MAX_TLS_INFO) {
      this.infoKind[this.infoCount] = kind;
      this.infoValue[this.infoCount] = value;
      this.infoCount++;
    } else {
      this.infoOmitted++;
    }
  }

  /** Index of the new record, or -1 when the arrays are full. */
  addRecord(buf: Buffer, off: number, type: number, version: number, length: number, flags: number, number: number): number {
    if (this.recordCount >= MAX_TLS_RECORDS) {
      this.recordsOmitted++;
      return -1;
    }
    const i = this.recordCount++;
    this.recordBuf[i] = buf;
    this.recordOff[i] = off;
    this.contentType[i] = type;
    this.version[i] = version;
    this.shownVersion[i] = version;
    this.length[i] = length;
    this.recordFlags[i] = flags;
    this.recordNumber[i] = number;
    this.recordCall[i] = Math.max(0, Math.min(255, this.calls - 1));
    this.recordFragmentType[i] = -1;
    return i;
  }

  addMessage(buf: Buffer, off: number, type: number, len: number, record: number, flags: number, sessionVersion: number): number {
    if (this.msgCount >= MAX_TLS_MESSAGES) return -1;
    const i = this.msgCount++;
    this.msgBuf[i] = buf;
    this.msgOff[i] = off;
    this.msgType[i] = type;
    this.msgLen[i] = len;
    this.msgRecord[i] = record < 0 ? 0 : record;
    this.msgFlags[i] = flags;
    this.msgSessionVersion[i] = sessionVersion;
    this.msgFragShown[i] = 0;
    this.msgFragTotal[i] = 0;
    return i;
  }
}
