// HTTP/1.x over TCP as tshark 4.0 shows it: on Wireshark's HTTP ports and, on other ports, on any
// conversation whose first bytes are a request or status line (Wireshark's "http_tcp" heuristic).
// Messages are cut from the stream by the core's PDU framing (src/analysis/pdu-framing.ts): a
// message that spans segments is dissected in the frame that completes it (headers and body, as
// tshark's http.desegment_headers/desegment_body), the frames before it read
// "[TCP segment of a reassembled PDU]". Responses are matched to requests in order, per
// conversation (http.request_in, http.time), in one pass as tshark reads a file.

import { defineForwardRef } from '../../fields/forward-refs';
import { Dissection } from '../../decode/dissection';
import { PDU_NOT_MINE, registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { offerTextLines } from '../text-lines';
import { offerUrlencodedForm } from '../urlencoded-form';
import { dechunkedBody, HttpMessage, httpPduLength, isXmlMediaType, mediaType, parseHttpMessage, startsHttpMessage, headerBlockEnd } from './message';

/** Wireshark's default "HTTP TCP port range" (http.tcp.port). */
export const HTTP_TCP_PORTS = [80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710];
/** Messages kept per frame (pipelined requests in one segment); more are framed but not shown. */
const MAX_MESSAGES_PER_FRAME = 16;
/** Requests waiting for their responses, per conversation. */
const MAX_PENDING_REQUESTS = 256;

export class HttpLayer {
  /** The frame the messages are of (a decrypted frame has them without an HTTP layer on the stack). */
  frame = -1;
  count = 0;
  readonly messages: HttpMessage[] = [];
  /**
   * The Info column of a frame whose decrypted TLS records carry more than these messages, composed
   * by the decryption stage as tshark's dissectors write it in turn; null: the messages say it.
   */
  infoOverride: string | null = null;

  next(): HttpMessage | null {
    if (this.count >= MAX_MESSAGES_PER_FRAME) return null;
    if (this.messages.length === this.count) this.messages.push(new HttpMessage());
    return this.messages[this.count++];
  }
}

/** Request/response matching of one conversation. */
export class HttpConversation {
  /** Requests not yet answered, oldest first: frame number, time (seconds and nanoseconds), full URI, method. */
  readonly waitingFrame: number[] = [];
  readonly waitingSec: number[] = [];
  readonly waitingNsec: number[] = [];
  readonly waitingUri: string[] = [];
  readonly waitingMethod: string[] = [];
  /** The request before each waiting one (a response names it as http.prev_request_in). */
  readonly waitingPrev: number[] = [];
  /** A CONNECT was answered 2xx: what follows is the tunnel's. */
  tunnel = false;
  /** Carried in TLS: full URIs are https://. */
  secure = false;
  requests = 0;
  responses = 0;
  lastRequest = 0;
  /** The URI of the conversation's latest request, '' before any: what Wireshark 4.0's export objects name a body after. */
  lastRequestUri = '';
  lastResponse = 0;
}

export const http = registerProtocol({
  name: 'http',
  label: 'HTTP',
  tcpPorts: HTTP_TCP_PORTS,
  makeLayer: () => new HttpLayer(),
  // Framed over TCP: the framing calls tcpPdu.dissect, never this per-segment step.
  decode: () => 0,
  tcpPdu: {
    pduLength(buf: Buffer, off: number, end: number, state: unknown): number {
      const c = state as HttpConversation;
      // After a CONNECT's 2xx, the bytes are the tunnel's (TLS, most often), not HTTP.
      if (c.tunnel) return PDU_NOT_MINE;
      const n = httpPduLength(buf, off, end, c.waitingMethod.length > 0 ? c.waitingMethod[0] : '');
      // In TLS, what starts no message is HTTP's still: the record's bytes are a "Continuation",
      // as tshark's HTTP reads the data TLS hands it.
      return n === PDU_NOT_MINE && c.secure ? end - off : n;
    },
    heuristic: looksLikeHttpStart,
    // The heuristic reads the whole first line: a cut before its end runs past the captured bytes.
    heuristicCut(buf: Buffer, off: number, end: number): boolean {
      if (!startsHttpMessage(buf, off, end)) return false;
      const nl = buf.indexOf(0x0a, off);
      return nl < 0 || nl >= end;
    },
    newConversation: () => new HttpConversation(),
    dissect(d: Dissection, layer: HttpLayer, buf: Buffer, off: number, end: number, reassembled: boolean, id: number, state: unknown): void {
      if (layer.frame !== d.number) {
        layer.frame = d.number;
        layer.count = 0;
        layer.infoOverride = null;
      }
      if (!d.hasLayer(id)) d.pushLayer(id, reassembled ? d.payloadOff : off);
      const m = layer.next();
      if (m === null) return;
      if (!parseHttpMessage(m, buf, off, end)) {
        if (!(state as HttpConversation).secure) {
          layer.count--;
          return;
        }
        m.continuation = true;
        m.request = false;
        m.bodyOff = off;
        m.firstLineLen = 0;
        m.inFrame = !reassembled;
        return;
      }
      m.inFrame = !reassembled;
      match(d, m, state as HttpConversation);
      // Text is shown from the body as sent, its chunks joined; tcpwatch undoes no content coding,
      // so a coded body is not shown as text.
      if (m.contentEncoding === '' && m.end > m.bodyOff) {
        const at = reassembled ? d.payloadOff : m.bodyOff;
        const media = mediaType(m.contentType);
        if (!m.chunked) {
          if (!offerTextLines(d, buf, m.bodyOff, m.end, media, at)) offerUrlencodedForm(d, buf, m.bodyOff, m.end, media, at);
        } else {
          const body = dechunkedBody(buf, m.bodyOff, m.end);
          if (body !== null && !offerTextLines(d, body, 0, body.length, media, at)) offerUrlencodedForm(d, body, 0, body.length, media, at);
        }
      }
    },
    truncated(buf: Buffer, off: number, end: number): string | null {
      // Wireshark's HTTP writes a message's first line (or "Continuation" for bytes that start
      // none) and then runs past the captured bytes.
      if (!startsHttpMessage(buf, off, end)) return 'Continuation';
      const nl = buf.indexOf(0x0a, off);
      if (nl < 0 || nl >= end) return null;
      let line = buf.toString('latin1', off, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      return line + ' ';
    },
    headline(buf: Buffer, off: number, end: number): string | null {
      // Wireshark's HTTP reads a message's header block first and writes its first line to the
      // Info column, then asks TCP for the rest of the body; a header block still incomplete
      // writes nothing.
      if (headerBlockEnd(buf, off, end) < 0) return null;
      let nl = buf.indexOf(0x0a, off);
      if (nl < 0 || nl > end) nl = end;
      let line = buf.toString('latin1', off, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      return line + ' ';
    },
  },
  column(_d: Dissection, layer: HttpLayer): string {
    for (let i = 0; i < layer.count; i++) {
      const m = layer.messages[i];
      if (m.end > m.bodyOff && isXmlMediaType(mediaType(m.contentType))) return 'HTTP/XML';
    }
    return 'HTTP';
  },
  info(d: Dissection, layer: HttpLayer): string | null {
    if (layer.frame === d.number && layer.infoOverride !== null) return layer.infoOverride;
    if (layer.count === 0) return null;
    return httpInfoText(layer, 0, layer.count);
  },
});

/** The Info column's words for messages [from, to) of the frame. */
export function httpInfoText(layer: HttpLayer, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const m = layer.messages[i];
    // tshark writes "Continuation" without the space it leaves after a first line
    let t = m.continuation ? 'Continuation' : firstLine(m) + ' ';
    const body = m.end - m.bodyOff;
    if (body > 0 && namesMediaType(mediaType(m.contentType))) t += ` (${mediaType(m.contentType)})`;
    s += i === from ? t : ' , ' + t;
  }
  return s;
}

/** A conversation on another port is HTTP when its first bytes are a whole request or status line. */
function looksLikeHttpStart(buf: Buffer, off: number, end: number): boolean {
  if (!startsHttpMessage(buf, off, end)) return false;
  let nl = -1;
  const stop = Math.min(end, off + 8192);
  for (let i = off; i < stop; i++) if (buf[i] === 0x0a) { nl = i; break; }
  if (nl < 0) return false;
  let line = buf.toString('latin1', off, nl);
  if (line.endsWith('\r')) line = line.slice(0, -1);
  return /^HTTP\/1\.[01] \d{3}( |$)/.test(line) || / HTTP\/1\.[01]$/.test(line);
}

/**
 * Whether Wireshark's media dissector takes the body and adds its type to the Info column: not for
 * XML (its own dissector, Protocol HTTP/XML) and not for application/octet-stream (plain data).
 */
export function namesMediaType(type: string): boolean {
  return type !== '' && type !== 'application/octet-stream' && !isXmlMediaType(type);
}

function firstLine(m: HttpMessage): string {
  if (m.continuation) return 'Continuation';
  return m.request ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.code}${m.phrase !== '' ? ' ' + m.phrase : ''}`;
}

function match(d: Dissection, m: HttpMessage, c: HttpConversation): void {
  if (m.request) c.lastRequestUri = m.uri;
  m.conversationUri = c.lastRequestUri;
  if (m.request) {
    c.requests++;
    m.seqNumber = c.requests;
    m.prevRequestIn = c.lastRequest;
    c.lastRequest = d.number;
    m.fullUri = fullUri(m, c.secure);
    if (c.waitingFrame.length >= MAX_PENDING_REQUESTS) unqueue(c);
    c.waitingFrame.push(d.number);
    c.waitingSec.push(d.tsSec);
    c.waitingNsec.push(d.tsNsec);
    c.waitingUri.push(m.method === 'CONNECT' ? m.uri : m.fullUri);
    c.waitingMethod.push(m.method);
    c.waitingPrev.push(m.prevRequestIn);
    return;
  }
  c.responses++;
  m.seqNumber = c.responses;
  m.prevResponseIn = c.lastResponse;
  c.lastResponse = d.number;
  // An interim (1xx) response answers nothing yet: its request waits for the final one.
  if (m.code >= 100 && m.code < 200) return;
  // A response that answers no request seen still takes a request number (Wireshark counts transactions).
  if (c.waitingFrame.length === 0) c.requests++;
  if (c.waitingFrame.length > 0) {
    m.requestIn = c.waitingFrame[0];
    // In whole nanoseconds first, so the difference prints as tshark prints it.
    m.sinceRequest = ((d.tsSec - c.waitingSec[0]) * 1e9 + (d.tsNsec - c.waitingNsec[0])) / 1e9;
    m.responseForUri = c.waitingUri[0];
    m.prevRequestIn = c.waitingPrev[0];
    if (c.waitingMethod[0] === 'CONNECT' && m.code < 300) c.tunnel = true;
    unqueue(c);
  }
}

function unqueue(c: HttpConversation): void {
  c.waitingFrame.shift();
  c.waitingSec.shift();
  c.waitingNsec.shift();
  c.waitingUri.shift();
  c.waitingMethod.shift();
  c.waitingPrev.shift();
}

/** http.request.full_uri as Wireshark builds it: none for CONNECT's authority, an absolute URI as it is, else the Host before it. */
function fullUri(m: HttpMessage, secure: boolean): string {
  if (m.method === 'CONNECT') return '';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(m.uri)) return m.uri;
  return m.host !== '' ? `${secure ? 'https' : 'http'}://${m.host}${m.uri}` : '';
}

// ---- fields ----

/** The frame's HTTP messages (in the frame or in its decrypted TLS records), or null when it has none. */
export function httpMessagesOf(d: Dissection): HttpLayer | null {
  const l = http.layer(d);
  return l.frame === d.number && l.count > 0 ? l : null;
}

type Keep = (m: HttpMessage) => boolean;

function countOf(d: Dissection, keep: Keep): number {
  const l = httpMessagesOf(d);
  if (l === null) return 0;
  let n = 0;
  for (let i = 0; i < l.count; i++) if (keep(l.messages[i])) n++;
  return n;
}

function nth(d: Dissection, i: number, keep: Keep): HttpMessage | null {
  const l = httpMessagesOf(d);
  if (l === null) return null;
  for (let k = 0; k < l.count; k++) {
    if (!keep(l.messages[k])) continue;
    if (i === 0) return l.messages[k];
    i--;
  }
  return null;
}

const any: Keep = () => true;

/** Where a node of message m at byte `at` of its buffer stands in the frame's HTTP subtree. */
function keyAt(d: Dissection, m: HttpMessage | null, at: number): number {
  return m === null ? -1 : indexOfMessage(d, m) * 0x100000000 + (at - m.off);
}

/** The index of m among the frame's messages (its first line's occurrence). */
function indexOfMessage(d: Dissection, m: HttpMessage): number {
  const l = httpMessagesOf(d);
  if (l === null) return 0;
  for (let k = 0; k < l.count; k++) if (l.messages[k] === m) return k;
  return 0;
}

/** Status codes Wireshark describes ([Status Code Description: OK]), RFC 9110's. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-authoritative Information',
  204: 'No Content', 205: 'Reset Content', 206: 'Partial Content', 300: 'Multiple Choices', 301: 'Moved Permanently',
  302: 'Found', 303: 'See Other', 304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Time-out', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 412: 'Precondition Failed', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable', 417: 'Expectation Failed', 418: "I'm a teapot",
  421: 'Misdirected Request', 422: 'Unprocessable Entity', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Time-out', 505: 'HTTP Version not supported',
};
const hasStatusText: Keep = (m) => !m.request && !m.continuation && STATUS_TEXT[m.code] !== undefined;
const isRequest: Keep = (m) => m.request;
const isResponse: Keep = (m) => !m.request && !m.continuation;
/** A request or response, not bytes that continue something ("Continuation"). */
const isMessage: Keep = (m) => !m.continuation;

function firstLineRange(m: HttpMessage, out: { set(b: Buffer, o: number, l: number): true }): boolean {
  return out.set(m.buf, m.off, m.firstLineLen);
}

defineField({
  name: 'http', label: 'Hypertext Transfer Protocol', type: FT.None, proto: 'http', orderByBytes: true,
  count: (d) => countOf(d, any),
  range: (d, i, o) => { const m = nth(d, i, any); return m !== null ? o.set(m.buf, m.off, m.end - m.off) : false; },
});
defineField({
  name: 'http.request', label: 'Request', type: FT.Bool, proto: 'http', hidden: true,
  count: (d) => countOf(d, isRequest), num: () => 1,
});
defineField({
  name: 'http.response', label: 'Response', type: FT.Bool, proto: 'http', hidden: true,
  count: (d) => countOf(d, isResponse), num: () => 1,
});

// The request or status line, as Wireshark's tree heads it: a text item holding the line's parts,
// with the expert note Wireshark attaches to every first line.
const showLine = (m: HttpMessage, off: number, len: number): string => m.buf.toString('latin1', off, off + len).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
defineField({
  name: '_text.http.first_line', label: 'First line', type: FT.None, proto: 'http', textNode: true,
  count: (d) => countOf(d, isMessage),
  sortKey: (d, i) => { const m = nth(d, i, isMessage); return keyAt(d, m, m?.off ?? 0); },
  heading: (d, i) => { const m = nth(d, i, isMessage); return m === null ? '' : m.inFrame ? showLine(m, m.off, m.firstLineLen) : firstLine(m) + '\\r\\n'; },
  range: (d, i, o) => { const m = nth(d, i, isMessage); return m !== null && firstLineRange(m, o); },
});
defineField({
  name: 'http.chat', label: 'Chat', type: FT.None, proto: 'http', parent: '_text.http.first_line', parentOf: (_d, i) => i,
  expert: { severity: 'Chat', group: 'Sequence' },
  count: (d) => countOf(d, isMessage),
  text: (d, i) => { const m = nth(d, i, isMessage); return m === null ? '' : firstLine(m) + '\\r\\n'; },
  range: (d, i, o) => { const m = nth(d, i, isMessage); return m !== null && firstLineRange(m, o); },
});

/** Where a part of the first line lies: the request's method, URI, version; the response's version, code, phrase. */
function partRange(m: HttpMessage, part: string, o: { set(b: Buffer, off: number, len: number): true }): boolean {
  const parts = m.request ? [m.method, m.uri, m.version] : [m.version, String(m.code), m.phrase];
  let off = m.off;
  for (const x of parts) {
    if (x === part) return o.set(m.buf, off, x.length);
    off += x.length + 1;
  }
  return false;
}

function lineField(name: string, label: string, keep: Keep, value: (m: HttpMessage) => string, range = false): void {
  defineField({
    name, label, type: FT.String, proto: 'http', parent: '_text.http.first_line',
    parentOf: (d, i) => { const m = nth(d, i, (x) => keep(x) && value(x) !== ''); return m === null ? 0 : indexOfMessage(d, m); },
    count: (d) => { const l = httpMessagesOf(d); let n = 0; if (l !== null) for (let i = 0; i < l.count; i++) if (keep(l.messages[i]) && value(l.messages[i]) !== '') n++; return n; },
    text: (d, i) => { const m = nth(d, i, (x) => keep(x) && value(x) !== ''); return m === null ? '' : value(m); },
    range: range ? (d, i, o) => { const m = nth(d, i, (x) => keep(x) && value(x) !== ''); return m !== null && partRange(m, value(m), o); } : undefined,
  });
}

lineField('http.request.method', 'Request Method', isRequest, (m) => m.method, true);
lineField('http.request.uri', 'Request URI', isRequest, (m) => m.uri, true);
lineField('http.request.version', 'Request Version', isRequest, (m) => m.version, true);
lineField('http.response.version', 'Response Version', isResponse, (m) => m.version, true);
defineField({
  name: 'http.response.code', valueBits: 16, label: 'Status Code', type: FT.UInt, proto: 'http', parent: '_text.http.first_line',
  parentOf: (d, i) => { const m = nth(d, i, isResponse); return m === null ? 0 : indexOfMessage(d, m); },
  count: (d) => countOf(d, isResponse),
  num: (d, i) => nth(d, i, isResponse)?.code ?? 0,
  range: (d, i, o) => { const m = nth(d, i, isResponse); return m !== null && partRange(m, String(m.code), o); },
});
defineField({
  name: 'http.response.code.desc', label: 'Status Code Description', type: FT.String, proto: 'http', generated: true, parent: '_text.http.first_line',
  parentOf: (d, i) => { const m = nth(d, i, hasStatusText); return m === null ? 0 : indexOfMessage(d, m); },
  count: (d) => countOf(d, hasStatusText),
  text: (d, i) => STATUS_TEXT[nth(d, i, hasStatusText)?.code ?? 0] ?? '',
  range: (d, i, o) => { const m = nth(d, i, hasStatusText); return m !== null && partRange(m, String(m.code), o); },
});
lineField('http.response.phrase', 'Response Phrase', isResponse, (m) => m.phrase, true);

/** Header fields tshark names, by the header's lower-case name. */
const HEADER_FIELDS: readonly [string, string, string][] = [
  ['http.host', 'Host', 'host'],
  ['http.user_agent', 'User-Agent', 'user-agent'],
  ['http.accept', 'Accept', 'accept'],
  ['http.accept_language', 'Accept-Language', 'accept-language'],
  ['http.accept_encoding', 'Accept Encoding', 'accept-encoding'],
  ['http.referer', 'Referer', 'referer'],
  ['http.cookie', 'Cookie', 'cookie'],
  ['http.set_cookie', 'Set-Cookie', 'set-cookie'],
  ['http.connection', 'Connection', 'connection'],
  ['http.content_type', 'Content-Type', 'content-type'],
  ['http.content_length_header', 'Content-Length', 'content-length'],
  ['http.content_encoding', 'Content-Encoding', 'content-encoding'],
  ['http.transfer_encoding', 'Transfer-Encoding', 'transfer-encoding'],
  ['http.server', 'Server', 'server'],
  ['http.date', 'Date', 'date'],
  ['http.location', 'Location', 'location'],
  ['http.last_modified', 'Last-Modified', 'last-modified'],
  ['http.cache_control', 'Cache-Control', 'cache-control'],
  ['http.authorization', 'Authorization', 'authorization'],
  ['http.upgrade', 'Upgrade', 'upgrade'],
  ['http.x_forwarded_for', 'X-Forwarded-For', 'x-forwarded-for'],
];

/** Where the header `lower` of message m lies in its buffer: its line index, or -1. */
function headerLine(m: HttpMessage, lower: string): number {
  for (let k = 0; k < m.headers.length; k++) {
    const line = m.headers[k];
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower) return k;
  }
  return -1;
}

/** Every line of header `lower` in the frame's messages, in order: [message, line index]. */
function headerOccurrences(d: Dissection, lower: string): [HttpMessage, number][] {
  const out: [HttpMessage, number][] = [];
  const l = httpMessagesOf(d);
  if (l === null) return out;
  for (let k = 0; k < l.count; k++) {
    const m = l.messages[k];
    for (let h = 0; h < m.headers.length; h++) {
      const line = m.headers[h];
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower) out.push([m, h]);
    }
  }
  return out;
}

for (const [name, label, lower] of HEADER_FIELDS) {
  const at = (d: Dissection, i: number): [HttpMessage, number] | undefined => headerOccurrences(d, lower)[i];
  defineField({
    name, label, type: FT.String, proto: 'http',
    count: (d) => headerOccurrences(d, lower).length,
    text: (d, i) => { const x = at(d, i); if (x === undefined) return ''; const line = x[0].headers[x[1]]; return line.slice(line.indexOf(':') + 1).trim(); },
    sortKey: (d, i) => { const x = at(d, i); return x === undefined ? -1 : keyAt(d, x[0], x[0].headerOff[x[1]]); },
    // The tree shows the whole header line, as Wireshark does: `Host: example.com\\r\\n`.
    heading: (d, i) => { const x = at(d, i); return x === undefined ? '' : x[0].headers[x[1]] + '\\r\\n'; },
    range: (d, i, o) => { const x = at(d, i); return x !== undefined && o.set(x[0].buf, x[0].headerOff[x[1]], x[0].headerLen[x[1]]); },
  });
}

/** Each `name=value` of a Cookie header, under it (http.cookie_pair). */
function cookiePairs(d: Dissection): [HttpMessage, number, number][] {
  const out: [HttpMessage, number, number][] = [];
  const l = httpMessagesOf(d);
  if (l === null) return out;
  for (let k = 0; k < l.count; k++) {
    const m = l.messages[k];
    const h = headerLine(m, 'cookie');
    if (h < 0) continue;
    const line = m.headers[h];
    let p = line.indexOf(':') + 1;
    while (p < line.length && line[p] === ' ') p++;
    while (p < line.length && out.length < 256) {
      let e = line.indexOf(';', p);
      if (e < 0) e = line.length;
      if (e > p) out.push([m, m.headerOff[h] + p, e - p]);
      p = e + 1;
      while (p < line.length && line[p] === ' ') p++;
    }
  }
  return out;
}
defineField({
  name: 'http.cookie_pair', label: 'Cookie pair', type: FT.String, proto: 'http', parent: 'http.cookie',
  count: (d) => cookiePairs(d).length,
  bytes: (d, i, o) => { const x = cookiePairs(d)[i]; return x !== undefined && x[0].buf.length >= x[1] + x[2] && x[0].inFrame && o.set(x[0].buf, x[1], x[2]); },
  text: (d, i) => { const x = cookiePairs(d)[i]; return x === undefined || !x[0].inFrame ? '' : x[0].buf.toString('latin1', x[1], x[1] + x[2]); },
  range: (d, i, o) => { const x = cookiePairs(d)[i]; return x !== undefined && o.set(x[0].buf, x[1], x[2]); },
});

const KNOWN_HEADERS = new Set(HEADER_FIELDS.map(([, , lower]) => lower));
function isKnownHeader(line: string): boolean {
  const colon = line.indexOf(':');
  return colon > 0 && KNOWN_HEADERS.has(line.slice(0, colon).trim().toLowerCase());
}
/** The blank line that ends the header block. */
defineField({
  name: '_text.http.end_of_headers', label: 'End of headers', type: FT.None, proto: 'http', textNode: true,
  count: (d) => countOf(d, isMessage),
  sortKey: (d, i) => { const m = nth(d, i, isMessage); return m === null ? -1 : keyAt(d, m, m.bodyOff - 1); },
  heading: () => '\\r\\n',
  range: (d, i, o) => { const m = nth(d, i, isMessage); return m !== null && o.set(m.buf, m.bodyOff - (m.buf[m.bodyOff - 2] === 0x0d ? 2 : 1), m.buf[m.bodyOff - 2] === 0x0d ? 2 : 1); },
});

defineField({
  name: 'http.content_length', valueBits: 64, label: 'Content length', type: FT.UInt, proto: 'http', generated: true, parent: 'http.content_length_header',
  count: (d) => countOf(d, (m) => m.contentLength >= 0),
  num: (d, i) => nth(d, i, (m) => m.contentLength >= 0)?.contentLength ?? 0,
});

/** Each header line with its line end, as tshark's http.request.line / http.response.line. */
function headerLines(d: Dissection, keep: Keep): number {
  const l = httpMessagesOf(d);
  let n = 0;
  if (l !== null) for (let i = 0; i < l.count; i++) if (keep(l.messages[i])) n += l.messages[i].headers.length;
  return n;
}

function nthHeaderLine(d: Dissection, i: number, keep: Keep): [HttpMessage, number] | null {
  const l = httpMessagesOf(d);
  if (l === null) return null;
  for (let k = 0; k < l.count; k++) {
    const m = l.messages[k];
    if (!keep(m)) continue;
    if (i < m.headers.length) return [m, i];
    i -= m.headers.length;
  }
  return null;
}

for (const [name, label, keep] of [['http.request.line', 'Request line', isRequest], ['http.response.line', 'Response line', isResponse]] as const) {
  defineField({
    name, label, type: FT.String, proto: 'http',
    // Hidden beside a header tcpwatch names (http.host …); the tree's node for a header it does not.
    hiddenAt: (d, i) => { const x = nthHeaderLine(d, i, keep); return x === null || isKnownHeader(x[0].headers[x[1]]); },
    heading: (d, i) => { const x = nthHeaderLine(d, i, keep); return x === null ? '' : x[0].headers[x[1]] + '\\r\\n'; },
    sortKey: (d, i) => { const x = nthHeaderLine(d, i, keep); return x === null ? -1 : keyAt(d, x[0], x[0].headerOff[x[1]]) + 0.5; },
    range: (d, i, o) => { const x = nthHeaderLine(d, i, keep); return x !== null && o.set(x[0].buf, x[0].headerOff[x[1]], x[0].headerLen[x[1]]); },
    count: (d) => headerLines(d, keep),
    text: (d, i) => { const x = nthHeaderLine(d, i, keep); return x === null ? '' : x[0].buf.toString('latin1', x[0].headerOff[x[1]], x[0].headerOff[x[1]] + x[0].headerLen[x[1]]); },
  });
}

/**
 * A generated field stands after the header block in the tree, as Wireshark adds it: a zero-length
 * range there orders it among the message's nodes (it covers no bytes of its own).
 */
function afterHeaders(m: HttpMessage | null, o: { set(b: Buffer, off: number, len: number): true }): boolean {
  return m !== null && m.inFrame && o.set(m.buf, m.bodyOff, 0);
}

function generatedField(name: string, label: string, keep: Keep, type: FT, value: (m: HttpMessage) => number | string, extra: { valueBits?: 32; display?: (m: HttpMessage) => string; ftype?: 'FT_FRAMENUM' } = {}): void {
  defineField({
    name, label, type, proto: 'http', generated: true, valueBits: extra.valueBits, ftype: extra.ftype,
    count: (d) => countOf(d, keep),
    num: type === FT.String ? undefined : (d, i) => { const m = nth(d, i, keep); return m === null ? 0 : (value(m) as number); },
    text: type === FT.String ? (d, i) => { const m = nth(d, i, keep); return m === null ? '' : (value(m) as string); } : undefined,
    heading: extra.display ? (d, i) => { const m = nth(d, i, keep); return m === null ? '' : extra.display!(m); } : undefined,
    range: (d, i, o) => afterHeaders(nth(d, i, keep), o),
    sortKey: (d, i) => { const m = nth(d, i, keep); return m === null ? -1 : keyAt(d, m, m.bodyOff); },
  });
}

const answered: Keep = (m) => !m.request && m.requestIn !== 0;
// In the order Wireshark adds them: a request's full URI, its number, the request before it; a
// response's number, the time since its request, the request and response before it, its request.
generatedField('http.request.full_uri', 'Full request URI', (m) => m.request && m.fullUri !== '', FT.String, (m) => m.fullUri);
generatedField('http.request_number', 'HTTP request', isRequest, FT.UInt, (m) => m.seqNumber, { valueBits: 32, display: (m) => `HTTP request ${m.seqNumber}/${m.seqNumber}` });
generatedField('http.response_number', 'HTTP response', isResponse, FT.UInt, (m) => m.seqNumber, { valueBits: 32, display: (m) => `HTTP response ${m.seqNumber}/${m.seqNumber}` });
generatedField('http.time', 'Time since request', answered, FT.RelTime, (m) => m.sinceRequest, { display: (m) => `Time since request: ${m.sinceRequest.toFixed(9)} seconds` });
generatedField('http.prev_request_in', 'Prev request in frame', (m) => m.prevRequestIn !== 0, FT.UInt, (m) => m.prevRequestIn, { valueBits: 32, ftype: 'FT_FRAMENUM' });
generatedField('http.prev_response_in', 'Prev response in frame', (m) => !m.request && m.prevResponseIn !== 0, FT.UInt, (m) => m.prevResponseIn, { valueBits: 32, ftype: 'FT_FRAMENUM' });
generatedField('http.request_in', 'Request in frame', answered, FT.UInt, (m) => m.requestIn, { valueBits: 32, ftype: 'FT_FRAMENUM' });
// What only tshark's second pass knows: the request's response (-2).
defineForwardRef({ name: 'http.response_in', label: 'Response in frame', proto: 'http', backward: 'http.request_in' });
generatedField('http.response_for.uri', 'Request URI', (m) => !m.request && m.responseForUri !== '', FT.String, (m) => m.responseForUri);
const hasBody: Keep = (m) => m.end > m.bodyOff;
defineField({
  name: 'http.file_data', label: 'File Data', type: FT.String, proto: 'http',
  count: (d) => countOf(d, hasBody),
  sortKey: (d, i) => { const m = nth(d, i, hasBody); return m === null ? -1 : keyAt(d, m, m.bodyOff + 1); },
  bytes: (d, i, o) => { const m = nth(d, i, hasBody); return m !== null && o.set(m.buf, m.bodyOff, m.end - m.bodyOff); },
  range: (d, i, o) => { const m = nth(d, i, hasBody); return m !== null && o.set(m.buf, m.bodyOff, m.end - m.bodyOff); },
  display: (d, i) => { const m = nth(d, i, hasBody); return m === null ? '' : `${m.end - m.bodyOff} bytes`; },
});
