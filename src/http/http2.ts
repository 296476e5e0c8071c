// HTTP/2 frames over one direction of a byte stream (RFC 9113 §4): the client's connection preface,
// then 9-byte frame headers and payloads. HEADERS, PUSH_PROMISE and their CONTINUATIONs are
// decoded with the direction's HPACK decoder; other payloads are passed over without being kept.

import type { Http2Frame } from './http-info';
import { HpackDecoder } from './hpack';

/** RFC 9113 §3.4: what a client sends first. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FRAME_HEADER_LEN = 9;
// frame types, RFC 9113 §6
const HEADERS = 0x1;
const PUSH_PROMISE = 0x5;
const CONTINUATION = 0x9;
// flags
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** A header block collected over CONTINUATION frames up to this size. */
const MAX_HEADER_BLOCK = 1024 * 1024;
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
  broken = false;

  constructor(client: boolean) {
    this.prefaceLeft = client ? CLIENT_PREFACE.length : 0;
  }

  feed(data: Buffer, out: Http2Frame[]): void {
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
        this.frame = { type, flags: this.hdr[4], streamId: this.hdr.readUInt32BE(5) & 0x7fffffff, length, headers: null };
        if (length > MAX_FRAME_LEN) {
          this.broken = true;
          return;
        }
        const keep = type === HEADERS || type === PUSH_PROMISE || type === CONTINUATION;
        this.payload = keep ? Buffer.allocUnsafe(length) : null;
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

  private complete(f: Http2Frame, payload: Buffer | null, out: Http2Frame[]): void {
    out.push(f);
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
      this.block = [payload.subarray(start, end)];
      this.blockLen = end - start;
      this.blockFrame = f;
    } else {
      // CONTINUATION of the pending block
      if (this.blockFrame === null) return;
      this.block.push(payload);
      this.blockLen += payload.length;
      if (this.blockLen > MAX_HEADER_BLOCK) return this.breakOff();
    }
    if (f.flags & END_HEADERS) {
      const block = this.block.length === 1 ? this.block[0] : Buffer.concat(this.block);
      // the decoded list is shown with the frame that ends the block
      f.headers = this.hpack.decode(block, 0, block.length);
      this.block = [];
      this.blockLen = 0;
      this.blockFrame = null;
    }
  }

  private breakOff(): void {
    this.broken = true;
  }
}
