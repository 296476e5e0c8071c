// HTTP/1.x over one direction of a byte stream (RFC 9112): request or status line, header fields,
// and the body's extent (Content-Length, chunked, or to the end of the connection), so that the
// next message is found where the body ends. A message is reported when it is complete (headers
// and body), as tshark does with body reassembly on; a response without a length is reported with
// its headers. Bytes that do not look like HTTP stop the parser for the direction.

import type { Http1Message } from './http-info';

/** Largest header block collected (a sign of something else beyond it). */
const MAX_HEADER_BLOCK = 64 * 1024;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

const enum State {
  Start,
  Headers,
  Body,
  ChunkSize,
  ChunkData,
  ChunkTrailer,
  UntilClose,
  NotHttp,
}

export class Http1Parser {
  private state = State.Start;
  private head: Buffer[] = [];
  private headLen = 0;
  private remaining = 0;
  private line = '';
  private msg: Http1Message | null = null;
  /** Methods of requests sent the other way, oldest first (a response to HEAD has no body). */
  readonly requestMethods: string[] = [];
  /** The parser of the opposite direction (responses look up their request). */
  peer: Http1Parser | null = null;

  get isHttp(): boolean {
    return this.state !== State.NotHttp;
  }

  /** Feed the next bytes of the direction; complete messages go to `out`. */
  feed(data: Buffer, out: Http1Message[]): void {
    let p = 0;
    while (p < data.length && this.state !== State.NotHttp) {
      switch (this.state) {
        case State.Start:
        case State.Headers: {
          // collect until the blank line that ends the header block
          const chunk = data.subarray(p);
          const joined = this.headLen > 0 ? Buffer.concat([...this.head, chunk]) : chunk;
          const from = Math.max(0, this.headLen - 3);
          const end = joined.indexOf('\r\n\r\n', from, 'latin1');
          if (this.state === State.Start && joined.length >= 4 && !looksLikeHttp(joined)) {
            this.state = State.NotHttp;
            return;
          }
          if (joined.length >= 4) this.state = State.Headers;
          if (end < 0) {
            if (this.headLen + chunk.length > MAX_HEADER_BLOCK) {
              this.state = State.NotHttp;
              return;
            }
            this.head.push(Buffer.from(chunk));
            this.headLen += chunk.length;
            return;
          }
          const used = end + 4 - this.headLen; // bytes of this chunk that belong to the header block
          const block = joined.toString('latin1', 0, end);
          this.head = [];
          this.headLen = 0;
          p += used;
          if (!this.startMessage(block, out)) {
            this.state = State.NotHttp;
            return;
          }
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, data.length - p);
          this.remaining -= n;
          p += n;
          if (this.remaining === 0) this.finish(out);
          break;
        }
        case State.ChunkSize:
        case State.ChunkTrailer: {
          const nl = data.indexOf(0x0a, p);
          const upto = nl < 0 ? data.length : nl;
          this.line += data.toString('latin1', p, upto);
          if (this.line.length > 4096) {
            this.state = State.NotHttp;
            return;
          }
          if (nl < 0) return;
          p = nl + 1;
          const line = this.line.replace(/\r$/, '');
          this.line = '';
          if (this.state === State.ChunkTrailer) {
            if (line === '') this.finish(out);
            break;
          }
          const size = parseInt(line.split(';')[0].trim(), 16);
          if (!Number.isFinite(size) || size < 0) {
            this.state = State.NotHttp;
            return;
          }
          if (size === 0) {
            this.state = State.ChunkTrailer;
          } else {
            this.remaining = size + 2; // the chunk and its CRLF
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, data.length - p);
          this.remaining -= n;
          p += n;
          if (this.remaining === 0) this.state = State.ChunkSize;
          break;
        }
        case State.UntilClose:
          return;
      }
    }
  }

  private startMessage(block: string, out: Http1Message[]): boolean {
    const lines = block.split('\r\n');
    const first = lines[0];
    const msg: Http1Message = { request: false, method: '', uri: '', version: '', code: 0, phrase: '', host: '', contentLength: -1 };
    let m = REQUEST_LINE.exec(first);
    if (m !== null) {
      msg.request = true;
      msg.method = m[1];
      msg.uri = m[2];
      msg.version = m[3];
    } else if ((m = STATUS_LINE.exec(first)) !== null) {
      msg.version = m[1];
      msg.code = Number(m[2]);
      msg.phrase = m[3] ?? '';
    } else {
      return false;
    }
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) continue;
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      if (name === 'host') msg.host = value;
      else if (name === 'content-length' && /^\d+$/.test(value)) msg.contentLength = Number(value);
      else if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
    }
    this.msg = msg;
    if (msg.request) {
      this.peer?.requestMethods.push(msg.method);
      if (chunked) this.state = State.ChunkSize;
      else this.bodyOf(msg.contentLength > 0 ? msg.contentLength : 0, out);
      return true;
    }
    // RFC 9112 §6.3: responses to HEAD, 1xx, 204 and 304 have no body
    const method = msg.code >= 200 ? this.requestMethods.shift() : undefined;
    if (method === 'HEAD' || (msg.code >= 100 && msg.code < 200) || msg.code === 204 || msg.code === 304) {
      this.bodyOf(0, out);
    } else if (chunked) {
      this.state = State.ChunkSize;
    } else if (msg.contentLength >= 0) {
      this.bodyOf(msg.contentLength, out);
    } else {
      // delimited by the end of the connection: report it now
      out.push(msg);
      this.msg = null;
      this.state = State.UntilClose;
    }
    return true;
  }

  private bodyOf(length: number, out: Http1Message[]): void {
    this.remaining = length;
    this.state = State.Body;
    if (length === 0) this.finish(out);
  }

  private finish(out: Http1Message[]): void {
    if (this.msg !== null) out.push(this.msg);
    this.msg = null;
    this.state = State.Start;
  }
}

/** The start of a request line (a method token and a space) or of a status line, or still possibly one. */
function looksLikeHttp(b: Buffer): boolean {
  if (b.toString('latin1', 0, 5) === 'HTTP/') return true;
  let i = 0;
  while (i < b.length && i < 24 && b[i] >= 0x41 && b[i] <= 0x5a) i++; // method names are upper-case tokens
  if (i === b.length && i < 24) return i > 0; // "POS…": the space may be in the next bytes
  return i > 0 && i < b.length && b[i] === 0x20;
}
