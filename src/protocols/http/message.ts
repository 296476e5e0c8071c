// An HTTP/1.x message (RFC 9112) as one PDU: where its header block ends and its body ends, read
// from the bytes alone so that the TCP PDU framing (src/analysis/pdu-framing.ts) can cut a stream
// into messages; and the parts of a whole message that the columns, fields and tree show.
//
// Lengths are bounded: a header block past MAX_HEADER_BLOCK, a chunk-size line past
// MAX_CHUNK_LINE, or more than MAX_CHUNKS chunks in one body is not taken as HTTP, so a hostile
// stream cannot make a length question cost more than a bounded scan.

/** Largest header block taken as HTTP (Wireshark has no limit; a sign of something else past it). */
export const MAX_HEADER_BLOCK = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
/** Chunks of one chunked body: each length question rescans them, so they are counted. */
const MAX_CHUNKS = 4096;
const NOT_MINE = 0;
const UNTIL_CLOSE = -0x7fffffff;

/** Methods Wireshark's HTTP dissector recognises at the start of a request line (packet-http.c's list, in part). */
const METHODS = new Set([
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL',
  'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT', 'CHECKOUT', 'CHECKIN', 'MERGE', 'MKACTIVITY', 'MKWORKSPACE',
  'UPDATE', 'LABEL', 'VERSION-CONTROL', 'BASELINE-CONTROL', 'MKCALENDAR', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE',
  'M-SEARCH', 'POLL', 'BMOVE', 'BDELETE', 'BPROPFIND', 'BPROPPATCH', 'BCOPY', 'ACL', 'ORDERPATCH', 'RPC_IN_DATA', 'RPC_OUT_DATA',
]);
const LONGEST_METHOD = 17;

/**
 * Whether [off, end) starts like an HTTP request or status line: `HTTP/` or a known method
 * followed by a space. Needs the whole method; fewer bytes are not HTTP yet.
 */
export function startsHttpMessage(buf: Buffer, off: number, end: number): boolean {
  if (end - off >= 5 && buf[off] === 0x48 && buf.toString('latin1', off, off + 5) === 'HTTP/') return true;
  let i = off;
  const stop = Math.min(end, off + LONGEST_METHOD + 1);
  while (i < stop && buf[i] !== 0x20) {
    const c = buf[i];
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f)) return false;
    i++;
  }
  return i < stop && i > off && METHODS.has(buf.toString('latin1', off, i));
}

/** Offset just past the blank line ending the header block that starts at `off`, or -1 when not in [off, end). */
export function headerBlockEnd(buf: Buffer, off: number, end: number): number {
  const stop = Math.min(end, off + MAX_HEADER_BLOCK);
  for (let i = off; i + 1 < stop; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && i + 2 < stop && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

const enum Body { None, Length, Chunked, UntilClose }

/** What a header block says of the body, from the bytes [off, hdrEnd). */
class Framing {
  kind = Body.None;
  length = 0;
  /** A response's status code, 0 for a request. */
  status = 0;
}
const framing = new Framing();

function scanFraming(buf: Buffer, off: number, hdrEnd: number, out: Framing): void {
  const head = buf.toString('latin1', off, hdrEnd);
  const firstEnd = head.indexOf('\n');
  const first = head.slice(0, firstEnd < 0 ? head.length : firstEnd);
  const response = first.startsWith('HTTP/');
  let status = 0;
  if (response) {
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(first);
    status = m === null ? 0 : Number(m[1]);
  }
  let length = -1;
  let chunked = false;
  let p = firstEnd + 1;
  while (p > 0 && p < head.length) {
    let nl = head.indexOf('\n', p);
    if (nl < 0) nl = head.length;
    const colon = head.indexOf(':', p);
    if (colon > p && colon < nl) {
      const name = head.slice(p, colon).trim().toLowerCase();
      if (name === 'content-length') {
        const v = head.slice(colon + 1, nl).trim();
        if (/^\d{1,15}$/.test(v)) length = Number(v);
      } else if (name === 'transfer-encoding') {
        if (/chunked/i.test(head.slice(colon + 1, nl))) chunked = true;
      }
    }
    p = nl + 1;
  }
  out.status = status;
  // RFC 9112 §6.3: 1xx, 204 and 304 responses have no body; chunked wins over a length.
  if (response && ((status >= 100 && status < 200) || status === 204 || status === 304)) {
    out.kind = Body.None;
  } else if (chunked) {
    out.kind = Body.Chunked;
  } else if (length >= 0) {
    out.kind = Body.Length;
    out.length = length;
  } else {
    out.kind = response ? Body.UntilClose : Body.None;
  }
}

/**
 * The end of a chunked body starting at `p`: > 0 the offset just past its last CRLF; -k when bytes
 * up to offset k (exclusive of nothing) are needed first; 0 when it is not a chunked body.
 * `chunk`, when given, sees each chunk's data as it is passed (offset and length in `buf`).
 */
function chunkedEnd(buf: Buffer, p: number, end: number, chunk?: (off: number, len: number) => void): number {
  for (let chunks = 0; chunks <= MAX_CHUNKS; chunks++) {
    // chunk-size [; ext] CRLF
    let nl = -1;
    const stop = Math.min(end, p + MAX_CHUNK_LINE);
    for (let i = p; i < stop; i++) if (buf[i] === 0x0a) { nl = i; break; }
    if (nl < 0) return end - p >= MAX_CHUNK_LINE ? 0 : -(end + 1);
    let size = 0, digits = 0;
    for (let i = p; i < nl; i++) {
      const c = buf[i];
      const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (v < 0) break;
      if (++digits > 8) return 0;
      size = size * 16 + v;
    }
    if (digits === 0) return 0;
    p = nl + 1;
    if (size === 0) {
      // trailer fields, then the blank line
      for (let lines = 0; lines < 256; lines++) {
        let e = -1;
        const s2 = Math.min(end, p + MAX_CHUNK_LINE);
        for (let i = p; i < s2; i++) if (buf[i] === 0x0a) { e = i; break; }
        if (e < 0) return end - p >= MAX_CHUNK_LINE ? 0 : -(end + 1);
        const blank = e === p || (e === p + 1 && buf[p] === 0x0d);
        p = e + 1;
        if (blank) return p;
      }
      return 0;
    }
    // the chunk's data and its CRLF
    const next = p + size + 2;
    if (next > end) return -next;
    if (chunk !== undefined) chunk(p, size);
    p = next;
  }
  return 0;
}

/**
 * The PDU framing's question for HTTP: the length of the message starting at `off` (see
 * TcpPduSpec.pduLength). Relative answers are turned into byte counts from `off`.
 */
export function httpPduLength(buf: Buffer, off: number, end: number, requestMethod = ''): number {
  if (!startsHttpMessage(buf, off, end)) {
    // Wireshark's HTTP reads text up to the end of its first line before it decides (binary, a
    // first byte that is not printable ASCII, it refuses at once): a line not ended yet waits.
    if (end > off && buf[off] >= 0x20 && buf[off] < 0x7f && !hasLineEnd(buf, off, end)) return -(end - off + 1);
    return NOT_MINE;
  }
  const hdrEnd = headerBlockEnd(buf, off, end);
  if (hdrEnd < 0) return end - off >= MAX_HEADER_BLOCK ? NOT_MINE : -(end - off + 1);
  scanFraming(buf, off, hdrEnd, framing);
  if (framing.status >= 200 && (requestMethod === 'HEAD' || (requestMethod === 'CONNECT' && framing.status < 300))) {
    // RFC 9110: a response to HEAD has no body; a 2xx to CONNECT turns the connection into a tunnel.
    return hdrEnd - off;
  }
  switch (framing.kind) {
    case Body.None: return hdrEnd - off;
    case Body.Length: return hdrEnd - off + framing.length;
    case Body.UntilClose: return UNTIL_CLOSE;
    case Body.Chunked: {
      const e = chunkedEnd(buf, hdrEnd, end);
      if (e > 0) return e - off;
      if (e === 0) return hdrEnd - off; // a body HTTP cannot frame: the headers stand alone
      return -(-e - off);
    }
  }
  return NOT_MINE;
}

/**
 * The data of the whole chunked body [off, end) joined (RFC 9112 §7.1), or null when the bytes
 * are no complete chunked body.
 */
export function dechunkedBody(buf: Buffer, off: number, end: number): Buffer | null {
  const parts: Buffer[] = [];
  if (chunkedEnd(buf, off, end, (p, n) => parts.push(buf.subarray(p, p + n))) <= 0) return null;
  return Buffer.concat(parts);
}

/**
 * Whether [off, end) holds a line end as Wireshark finds one: a LF, or a CR with a byte after it (a
 * CR that ends the bytes may be the first half of CRLF).
 */
function hasLineEnd(buf: Buffer, off: number, end: number): boolean {
  for (let i = off; i < end; i++) {
    if (buf[i] === 0x0a || (buf[i] === 0x0d && i + 1 < end)) return true;
  }
  return false;
}

/** One HTTP/1.x message as the views show it; filled from a whole PDU by `parseHttpMessage`. */
export class HttpMessage {
  request = false;
  method = '';
  uri = '';
  version = '';
  code = 0;
  phrase = '';
  /** Host header of a request ('' when absent). */
  host = '';
  contentLength = -1;
  contentType = '';
  /** Transfer-Encoding names chunked: the body is in chunks. */
  chunked = false;
  /** Content-Encoding ('' when absent). */
  contentEncoding = '';
  /** Header lines in order, without their line ends. */
  readonly headers: string[] = [];
  /** Where each header line starts and its length with its line end, in `buf`. */
  readonly headerOff: number[] = [];
  readonly headerLen: number[] = [];
  buf: Buffer = Buffer.alloc(0);
  /** The message [off, end): first line at off, body from bodyOff. */
  off = 0;
  end = 0;
  firstLineLen = 0;
  bodyOff = 0;
  /** Bytes the message spans in the frame (false: reassembled from several segments). */
  inFrame = true;
  /** The request this response answers: its frame number, 0 when none is known. */
  requestIn = 0;
  /** Seconds since that request (http.time). */
  sinceRequest = 0;
  /** The full URI of a request (http.request.full_uri); of the request a response answers (http.response_for.uri). */
  fullUri = '';
  responseForUri = '';
  /** The conversation's latest request URI when this message was read ('' none): the name export objects give its body. */
  conversationUri = '';
  /** Request number / response number within the conversation (1-based). */
  seqNumber = 0;
  prevRequestIn = 0;
  prevResponseIn = 0;
  /** Bytes that start no message, shown as "Continuation" with their data (HTTP in TLS). */
  continuation = false;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;

/** Fill `m` from the whole message [off, end) of `buf`; false when it is not a request or response. */
export function parseHttpMessage(m: HttpMessage, buf: Buffer, off: number, end: number): boolean {
  const hdrEnd = headerBlockEnd(buf, off, end);
  const headEnd = hdrEnd < 0 ? end : hdrEnd;
  m.buf = buf;
  m.off = off;
  m.end = end;
  m.bodyOff = headEnd;
  m.headers.length = 0;
  m.headerOff.length = 0;
  m.headerLen.length = 0;
  m.method = m.uri = m.version = m.phrase = m.host = m.contentType = m.fullUri = m.responseForUri = m.conversationUri = '';
  m.code = 0;
  m.contentLength = -1;
  m.chunked = false;
  m.contentEncoding = '';
  m.requestIn = 0;
  m.sinceRequest = 0;
  m.seqNumber = 0;
  m.prevRequestIn = m.prevResponseIn = 0;
  m.continuation = false;
  const head = buf.toString('latin1', off, headEnd);
  let nl = head.indexOf('\n');
  if (nl < 0) nl = head.length;
  m.firstLineLen = Math.min(nl + 1, head.length);
  const first = head.slice(0, nl).replace(/\r$/, '');
  let x = REQUEST_LINE.exec(first);
  if (x !== null) {
    m.request = true;
    m.method = x[1];
    m.uri = x[2];
    m.version = x[3];
  } else if ((x = STATUS_LINE.exec(first)) !== null) {
    m.request = false;
    m.version = x[1];
    m.code = Number(x[2]);
    m.phrase = x[3] ?? '';
  } else {
    return false;
  }
  let p = nl + 1;
  while (p < head.length) {
    let e = head.indexOf('\n', p);
    if (e < 0) e = head.length;
    const line = head.slice(p, e).replace(/\r$/, '');
    if (line === '') break;
    m.headers.push(line);
    m.headerOff.push(off + p);
    m.headerLen.push(Math.min(e + 1, head.length) - p);
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'host' && m.host === '') m.host = value;
      else if (name === 'content-length' && /^\d{1,15}$/.test(value)) m.contentLength = Number(value);
      else if (name === 'content-type' && m.contentType === '') m.contentType = value;
      else if (name === 'transfer-encoding' && /chunked/i.test(value)) m.chunked = true;
      else if (name === 'content-encoding' && m.contentEncoding === '') m.contentEncoding = value;
    }
    p = e + 1;
  }
  return true;
}

/** Media types Wireshark hands to its XML dissector (Protocol `HTTP/XML`, no media type in Info). */
export function isXmlMediaType(type: string): boolean {
  return type === 'text/xml' || type === 'application/xml' || type.endsWith('+xml');
}

/** The media type of a Content-Type value, without its parameters, as Wireshark's Info shows it. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}
