// HTTP/2 frames over one direction of a byte stream (RFC 9113 §4): the client's connection preface,
// then 9-byte frame headers and payloads. HEADERS, PUSH_PROMISE and their CONTINUATIONs are
// decoded with the direction's HPACK decoder; SETTINGS are read for the table size the other
// direction's encoder may use; other payloads are passed over without being kept.
//
// Bounds, so that no stream of frames makes tcpwatch hold or print without limit: a header block
// is collected up to MAX_HEADER_BLOCK encoded bytes (a longer one is not decoded, and the direction's
// HPACK table is then unknown); of a decoded block at most MAX_HEADER_LIST_SIZE bytes of header list
// are kept, and of all blocks ending in one feed (one decrypted record) at most MAX_FEED_HEADER_BYTES
// and MAX_FEED_HEADERS fields. Fields not kept are counted in the frame's headersCut.

import type { Http2Frame } from './http-info';
import { DEFAULT_TABLE_SIZE, ENTRY_OVERHEAD, HeaderDetail, HpackDecoder, MAX_HEADER_LIST_SIZE } from './hpack';

/** RFC 9113 §3.4: what a client sends first. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME_HEADER_LEN = 9;
// frame types, RFC 9113 §6
const HEADERS = 0x1;
const PRIORITY_FRAME = 0x2;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PUSH_PROMISE = 0x5;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
/**
 * Control frames whose payload the details show, kept up to this length (their fixed part is at
 * most 8 bytes; GOAWAY's debug data is shown up to it).
 */
const MAX_CONTROL_LEN = 1024;
// flags
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const SETTINGS_ACK = 0x1;
/** RFC 9113 §6.5.2 */
const SETTINGS_HEADER_TABLE_SIZE = 0x1;
const SETTING_LEN = 6;
/** SETTINGS payloads longer than this (over 170 settings; real ones carry a handful) are not read. */
const MAX_SETTINGS_LEN = 1024;
/**
 * A header block (HEADERS or PUSH_PROMISE and its CONTINUATIONs) is collected up to this many encoded
 * bytes: four times nghttp2's 64 KiB header list limit, which HPACK only ever makes smaller.
 */
export const MAX_HEADER_BLOCK = 256 * 1024;
/**
 * Header-list bytes kept over all blocks that end in one feed (a decrypted record of at most 16 KiB):
 * eight full blocks, or some two hundred browser requests of 2 KiB each.
 */
export const MAX_FEED_HEADER_BYTES = 8 * MAX_HEADER_LIST_SIZE;
/**
 * Header fields kept over all blocks that end in one feed. Each field of a frame is found by walking
 * the frame's HTTP/2 frames, so their number times the frames' is what printing a packet costs.
 */
export const MAX_FEED_HEADERS = 2048;
/** Frames longer than this (SETTINGS_MAX_FRAME_SIZE's ceiling is 2^24-1) are not HTTP/2. */
const MAX_FRAME_LEN = (1 << 24) - 1;

export class Http2Parser {
  readonly hpack = new HpackDecoder();
  /** Bytes of the preface still expected (client side only). */
  private prefaceLeft: number;
  private readonly hdr = Buffer.alloc(FRAME_HEADER_LEN);
  private hdrFill = 0;
  private frame: Http2Frame | null = null;
  private payload: Buffer | null = null;
  private got = 0;
  /** Header block fragments of a HEADERS/PUSH_PROMISE awaiting END_HEADERS. */
  private block: Buffer[] = [];
  private blockLen = 0;
  private blockFrame: Http2Frame | null = null;
  /** The block being collected went past MAX_HEADER_BLOCK: it is not kept, nor decoded. */
  private blockOver = false;
  /** Header-list bytes and fields the blocks ending in the current feed may still keep. */
  private feedBytes = 0;
  private feedFields = 0;
  broken = false;
  /**
   * The parser of the other direction of the connection, when the connection links them: the
   * SETTINGS_HEADER_TABLE_SIZE this side announces limits the table that side's encoder uses.
   * Unlinked, a parser cannot see the limit its encoder was given, and allows MAX_TABLE_SIZE.
   */
  private peerParser: Http2Parser | null = null;

  constructor(client: boolean) {
    this.prefaceLeft = client ? CLIENT_PREFACE.length : 0;
    this.hpack.setLimit(Number.MAX_SAFE_INTEGER); // unlinked until `peer` is set: MAX_TABLE_SIZE
  }

  get peer(): Http2Parser | null {
    return this.peerParser;
  }

  /** Link the two directions of a connection (both ways); until a SETTINGS is seen, RFC 9113's default limit holds. */
  set peer(p: Http2Parser | null) {
    this.peerParser = p;
    this.hpack.setLimit(p === null ? Number.MAX_SAFE_INTEGER : DEFAULT_TABLE_SIZE);
    if (p !== null && p.peerParser !== this) p.peer = this;
  }

  /**
   * Parse `data`, the next bytes of the direction; the frames that end in it go to `out`. The bounds
   * on header lists kept hold per record: `newRecord` false continues the record of the last call.
   */
  feed(data: Buffer, out: Http2Frame[], newRecord = true): void {
    if (newRecord) {
      this.feedBytes = MAX_FEED_HEADER_BYTES;
      this.feedFields = MAX_FEED_HEADERS;
    }
    let p = 0;
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, data.length);
      const at = CLIENT_PREFACE.length - this.prefaceLeft;
      if (!data.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n))) {
        this.broken = true;
        return;
      }
      this.prefaceLeft -= n;
      p = n;
    }
    while (p < data.length && !this.broken) {
      if (this.hdrFill < FRAME_HEADER_LEN) {
        const n = Math.min(FRAME_HEADER_LEN - this.hdrFill, data.length - p);
        data.copy(this.hdr, this.hdrFill, p, p + n);
        this.hdrFill += n;
        p += n;
        if (this.hdrFill < FRAME_HEADER_LEN) return;
        const length = this.hdr.readUIntBE(0, 3);
        const type = this.hdr[3];
        this.frame = {
          type, flags: this.hdr[4], streamId: this.hdr.readUInt32BE(5) & 0x7fffffff, length, headers: null, headersCut: 0,
          payload: null, blockStart: -1, blockEnd: -1, detail: null,
        };
        if (length > MAX_FRAME_LEN) {
          this.broken = true;
          return;
        }
        this.payload = this.keeps(type, length) ? Buffer.allocUnsafe(length) : null;
        this.got = 0;
      }
      const f = this.frame!;
      const n = Math.min(f.length - this.got, data.length - p);
      if (this.payload !== null) data.copy(this.payload, this.got, p, p + n);
      this.got += n;
      p += n;
      if (this.got < f.length) return;
      this.hdrFill = 0;
      this.complete(f, this.payload, out);
      this.payload = null;
      this.frame = null;
    }
  }

  /**
   * Whether a frame's payload is kept: HEADERS, PUSH_PROMISE and CONTINUATION while their block stays
   * within MAX_HEADER_BLOCK, and SETTINGS of a plausible length. Header-block frames past the bound
   * mark the block as over instead.
   */
  private keeps(type: number, length: number): boolean {
    if (type === SETTINGS) return length <= MAX_SETTINGS_LEN;
    if (type === PRIORITY_FRAME || type === RST_STREAM || type === PING || type === GOAWAY || type === WINDOW_UPDATE) return length <= MAX_CONTROL_LEN;
    if (type === HEADERS || type === PUSH_PROMISE) {
      this.blockOver = length > MAX_HEADER_BLOCK;
      return !this.blockOver;
    }
    if (type === CONTINUATION) {
      if (this.blockFrame === null) return false; // continues nothing: passed over
      if (!this.blockOver && this.blockLen + length > MAX_HEADER_BLOCK) this.blockOver = true;
      return !this.blockOver;
    }
    return false;
  }

  private complete(f: Http2Frame, payload: Buffer | null, out: Http2Frame[]): void {
    out.push(f);
    f.payload = payload;
    if (f.type === SETTINGS) {
      if (payload !== null && (f.flags & SETTINGS_ACK) === 0) this.settings(payload);
      return;
    }
    if (this.blockOver && (f.type === HEADERS || f.type === PUSH_PROMISE || f.type === CONTINUATION)) return this.overlong(f);
    if (payload === null) return;
    let start = 0, end = payload.length;
    if (f.type === HEADERS || f.type === PUSH_PROMISE) {
      if (f.flags & PADDED) {
        if (payload.length < 1) return this.breakOff();
        end -= payload[0];
        start = 1;
      }
      if (f.type === HEADERS && f.flags & PRIORITY) start += 5;
      if (f.type === PUSH_PROMISE) start += 4;
      if (start > end) return this.breakOff();
      f.blockStart = start;
      f.blockEnd = end;
      this.block = [payload.subarray(start, end)];
      this.blockLen = end - start;
      this.blockFrame = f;
    } else {
      // CONTINUATION of the pending block
      if (this.blockFrame === null) return;
      f.blockStart = 0;
      f.blockEnd = payload.length;
      this.block.push(payload);
      this.blockLen += payload.length;
    }
    if (f.flags & END_HEADERS) {
      const block = this.block.length === 1 ? this.block[0] : Buffer.concat(this.block);
      // the decoded list is shown with the frame that ends the block
      const h = this.hpack;
      // Where each field was encoded is shown when the block is this frame's own fragment.
      const detail = this.block.length === 1 && this.blockFrame === f ? new HeaderDetail() : null;
      f.headers = h.decode(block, 0, block.length, Math.min(MAX_HEADER_LIST_SIZE, this.feedBytes), this.feedFields, detail);
      f.detail = f.headers !== null ? detail : null;
      if (f.headers !== null) {
        for (let i = 0; i < f.headers.length; i++) this.feedBytes -= f.headers[i][0].length + f.headers[i][1].length + ENTRY_OVERHEAD;
        this.feedFields -= f.headers.length;
        f.headersCut = h.cutFields;
      }
      this.endBlock();
    }
  }

  private endBlock(): void {
    this.block = [];
    this.blockLen = 0;
    this.blockFrame = null;
  }

  /**
   * A frame of a block longer than MAX_HEADER_BLOCK: nothing of it is kept. Its end leaves the HPACK
   * table in an unknown state (the block may have changed it), so later blocks are not decoded.
   */
  private overlong(f: Http2Frame): void {
    if (f.type !== CONTINUATION) {
      this.block = [];
      this.blockFrame = f;
    }
    if (f.flags & END_HEADERS) {
      this.hpack.broken = true;
      this.blockOver = false;
      this.endBlock();
    }
  }

  /** SETTINGS this side announces (RFC 9113 §6.5): its header table size limits the other side's encoder. */
  private settings(payload: Buffer): void {
    if (this.peerParser === null) return;
    for (let i = 0; i + SETTING_LEN <= payload.length; i += SETTING_LEN) {
      if (payload.readUInt16BE(i) === SETTINGS_HEADER_TABLE_SIZE) this.peerParser.hpack.setLimit(payload.readUInt32BE(i + 2));
    }
  }

  private breakOff(): void {
    this.broken = true;
  }
}
