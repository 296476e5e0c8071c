// HTTP/2 (RFC 9113) as tshark 4.0 shows it: each frame one PDU (the client's connection preface is
// one too, "Magic"), cut by its 9-byte header's length by the same framing that serves HTTP/1.x
// over decrypted TLS (src/http/pdu-stream.ts). Header blocks are decoded with each direction's
// HPACK decoder (src/http/http2.ts keeps its bounds). Cleartext h2c is not looked for: tshark 4.0's
// HTTP/2 heuristic over TCP is off by default, and its HTTP/2 holds no TCP port. The Info column
// lists the frames as tshark does: `HEADERS[1]: GET /index.html`, `SETTINGS[0], WINDOW_UPDATE[0]`,
// `HEADERS[1]: 200 OK, DATA[1] (text/html)` — the body's media type on the frame that ends it.

import { Dissection } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { CLIENT_PREFACE, Http2Parser } from '../../http/http2';
import type { Http2Frame } from '../../http/http-info';
import { STATUS_TEXT as HTTP_STATUS_TEXT, namesMediaType } from '../http';
import { mediaType } from '../http/message';

const FRAME_HEADER_LEN = 9;
const END_STREAM = 0x1;
const PADDED = 0x8;
const DATA = 0x0, HEADERS = 0x1, PUSH_PROMISE = 0x5;
/** Frames kept per packet (a 16 KiB record holds at most 1820 empty frames). */
const MAX_FRAMES_PER_PACKET = 4096;
/** Bytes of unfinished bodies kept per connection, for the data shown where a stream ends. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Streams whose content type is remembered for the Info column's media type at their end. */
const MAX_STREAMS = 1024;

export const HTTP2_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'DATA', 1: 'HEADERS', 2: 'PRIORITY', 3: 'RST_STREAM', 4: 'SETTINGS', 5: 'PUSH_PROMISE', 6: 'PING', 7: 'GOAWAY',
  8: 'WINDOW_UPDATE', 9: 'CONTINUATION',
};

/** One HTTP/2 frame of the packet, or the client's preface (`magic`). */
class FrameEntry {
  magic = false;
  frame: Http2Frame | null = null;
  /** A DATA frame's data, without its padding (the PDU's bytes, valid while the packet is shown). */
  data: Buffer | null = null;
  /** Its words in the Info column. */
  text = '';
}

export class Http2Layer {
  frameNumber = -1;
  count = 0;
  readonly entries: FrameEntry[] = [];
  /**
   * The Info column of a packet whose TLS records carry more than HTTP/2 frames, composed by the
   * decryption stage as tshark's dissectors write it in turn; null: the frames alone say it.
   */
  infoOverride: string | null = null;

  next(n: number): FrameEntry | null {
    if (this.frameNumber !== n) {
      this.frameNumber = n;
      this.count = 0;
      this.infoOverride = null;
    }
    if (this.count >= MAX_FRAMES_PER_PACKET) return null;
    if (this.entries.length === this.count) this.entries.push(new FrameEntry());
    const e = this.entries[this.count++];
    e.magic = false;
    e.frame = null;
    e.data = null;
    e.text = '';
    return e;
  }

  /** The frames' words joined as tshark's Info column joins them. */
  framesText(from = 0, to = this.count): string {
    let s = '';
    for (let i = from; i < to; i++) s += (i === from ? '' : ', ') + this.entries[i].text;
    return s;
  }
}

/** Both directions of one HTTP/2 connection. */
export class Http2Conversation {
  /** By TCP direction; the client's is the one that sent the preface. */
  readonly parsers: [Http2Parser | null, Http2Parser | null] = [null, null];
  clientDir = -1;
  /** Content type of each stream's message per direction (`dir:stream`), until the stream ends. */
  readonly contentTypes = new Map<number, string>();

  /** Data of each stream's message so far per direction (`dir:stream`), until the stream ends. */
  private readonly bodies = new Map<number, Buffer[]>();
  private bodyBytes = 0;

  /**
   * A DATA frame's data; at the end of its stream the whole body, as tshark shows the reassembled
   * body on the frame that ends it. Bodies are kept up to MAX_BODY_BYTES over all streams.
   */
  body(dir: number, stream: number, data: Buffer, end: boolean): Buffer {
    const key = dir * 0x80000000 + stream;
    const parts = this.bodies.get(key);
    if (end) {
      if (parts === undefined) return data;
      this.bodies.delete(key);
      for (const p of parts) this.bodyBytes -= p.length;
      return Buffer.concat([...parts, data]);
    }
    if (this.bodyBytes + data.length > MAX_BODY_BYTES || (parts === undefined && this.bodies.size >= MAX_STREAMS)) {
      // past the bound the body is not whole: its end shows its own frame's data only
      if (parts !== undefined) {
        for (const p of parts) this.bodyBytes -= p.length;
        this.bodies.delete(key);
      }
      return data;
    }
    const copy = Buffer.from(data);
    this.bodyBytes += copy.length;
    if (parts === undefined) this.bodies.set(key, [copy]);
    else parts.push(copy);
    return data;
  }

  parser(dir: number, startsWithPreface: boolean): Http2Parser {
    if (this.clientDir < 0) this.clientDir = startsWithPreface ? dir : 1 - dir;
    let p = this.parsers[dir];
    if (p === null) {
      p = new Http2Parser(dir === this.clientDir && startsWithPreface);
      this.parsers[dir] = p;
      const other = this.parsers[1 - dir];
      // Linked, each direction's HPACK table is held to the size the other side's SETTINGS allows.
      if (other !== null) p.peer = other;
    }
    return p;
  }
}

/** Whether [off, end) starts the client preface (or a prefix of it, when fewer bytes are there). */
function atPreface(buf: Buffer, off: number, end: number): boolean {
  const n = Math.min(end - off, CLIENT_PREFACE.length);
  return n > 0 && buf.compare(CLIENT_PREFACE, 0, n, off, off + n) === 0;
}

const frameOut: Http2Frame[] = [];

export const http2 = registerProtocol({
  name: 'http2',
  label: 'HTTP2',
  makeLayer: () => new Http2Layer(),
  decode: () => 0,
  tcpPdu: {
    pduLength(buf: Buffer, off: number, end: number): number {
      if (atPreface(buf, off, end)) return CLIENT_PREFACE.length;
      if (end - off < FRAME_HEADER_LEN) return -FRAME_HEADER_LEN;
      return FRAME_HEADER_LEN + buf.readUIntBE(off, 3);
    },
    newConversation: () => new Http2Conversation(),
    dissect(d: Dissection, layer: Http2Layer, buf: Buffer, off: number, end: number, reassembled: boolean, id: number, state: unknown): void {
      const c = state as Http2Conversation;
      const dir = d.tcp.direction & 1;
      if (layer.frameNumber !== d.number) {
        layer.frameNumber = d.number;
        layer.count = 0;
        layer.infoOverride = null;
      }
      if (!d.hasLayer(id)) d.pushLayer(id, reassembled ? d.payloadOff : off);
      const preface = end - off === CLIENT_PREFACE.length && atPreface(buf, off, end);
      const p = c.parser(dir, preface);
      frameOut.length = 0;
      p.feed(buf.subarray(off, end), frameOut, layer.count === 0);
      if (preface) {
        const e = layer.next(d.number);
        if (e !== null) {
          e.magic = true;
          e.text = 'Magic';
        }
        return;
      }
      for (let i = 0; i < frameOut.length; i++) {
        const e = layer.next(d.number);
        if (e === null) break;
        const f = frameOut[i];
        e.frame = f;
        e.text = frameText(c, dir, f);
        if (f.type === DATA && frameOut.length === 1 && end - off === FRAME_HEADER_LEN + f.length) {
          // RFC 9113 §6.1: Pad Length (1) when PADDED, the data, then the padding
          let from = off + FRAME_HEADER_LEN, to = end;
          if (f.flags & PADDED) {
            const pad = f.length > 0 ? buf[from] : 0;
            from++;
            to = Math.max(from, to - pad);
          }
          if (from <= to) e.data = c.body(dir, f.streamId, buf.subarray(from, to), (f.flags & END_STREAM) !== 0);
        }
      }
    },
  },
  info(_d: Dissection, layer: Http2Layer): string | null {
    if (layer.infoOverride !== null) return layer.infoOverride;
    return layer.count === 0 ? null : layer.framesText();
  },
});

function header(f: Http2Frame, name: string): string {
  if (f.headers === null) return '';
  for (const [n, v] of f.headers) if (n === name) return v;
  return '';
}

/** A frame's words in the Info column. */
function frameText(c: Http2Conversation, dir: number, f: Http2Frame): string {
  let s = `${HTTP2_TYPE_NAMES[f.type] ?? `Unknown type (${f.type})`}[${f.streamId}]`;
  const key = dir * 0x80000000 + f.streamId;
  if (f.type === HEADERS && f.headers !== null) {
    const method = header(f, ':method'), status = header(f, ':status');
    if (method !== '') s += `: ${method} ${header(f, ':path')}`;
    else if (status !== '') {
      const text = HTTP_STATUS_TEXT[Number(status)];
      s += `: ${status}${text !== undefined ? ' ' + text : ''}`;
    }
    const type = header(f, 'content-type');
    if (type !== '' && (f.flags & END_STREAM) === 0) {
      if (c.contentTypes.size >= MAX_STREAMS) c.contentTypes.clear();
      c.contentTypes.set(key, type);
    }
  } else if (f.type === DATA && f.flags & END_STREAM) {
    const type = c.contentTypes.get(key);
    c.contentTypes.delete(key);
    if (type !== undefined && namesMediaType(mediaType(type))) s += ` (${mediaType(type)})`;
  }
  return s;
}

// ---- fields ----

function layerOf(d: Dissection): Http2Layer | null {
  if (!d.hasLayer(http2.id)) return null;
  const l = http2.layer(d);
  return l.frameNumber === d.number ? l : null;
}

/** The packet's HTTP/2 frames (the preface is none). */
function frames(d: Dissection): Http2Frame[] {
  const l = layerOf(d);
  const out: Http2Frame[] = [];
  if (l === null) return out;
  for (let i = 0; i < l.count; i++) if (l.entries[i].frame !== null) out.push(l.entries[i].frame!);
  return out;
}

/** The Stream item (the PDU's index in the packet) that frame i (of frames()) stands under. */
function streamOfFrame(d: Dissection, i: number): number {
  const l = layerOf(d);
  if (l === null) return 0;
  for (let k = 0; k < l.count; k++) if (l.entries[k].frame !== null && i-- === 0) return k;
  return 0;
}

/** Wireshark cuts an item's label at 240 characters. */
const LABEL_MAX = 240;
const label = (s: string): string => (s.length > LABEL_MAX ? s.slice(0, LABEL_MAX - 1) + '\u2026' : s);

/** The Stream item's heading, as tshark's: `Stream: HEADERS, Stream ID: 1, Length 106, 200 OK`. */
function streamHeading(d: Dissection, k: number): string {
  const l = layerOf(d);
  const e = l !== null && k < l.count ? l.entries[k] : null;
  if (e === null) return 'Stream';
  if (e.magic || e.frame === null) return 'Stream: Magic';
  const f = e.frame;
  let s = `Stream: ${HTTP2_TYPE_NAMES[f.type] ?? 'Unknown'}, Stream ID: ${f.streamId}, Length ${f.length}`;
  const colon = e.text.indexOf(': ');
  if (f.type === HEADERS && colon > 0) s += ', ' + e.text.slice(colon + 2).replace(/ \([^)]*\)$/, '');
  return label(s);
}

defineField({
  name: 'http2', label: 'HyperText Transfer Protocol 2', type: FT.None, proto: 'http2',
  count: (d) => (layerOf(d) !== null ? 1 : 0),
  text: () => 'HyperText Transfer Protocol 2',
});
// One per PDU, the preface too, as tshark's tree has a Stream item for each.
defineField({ name: 'http2.stream', label: 'Stream', type: FT.None, proto: 'http2', count: (d) => layerOf(d)?.count ?? 0, heading: streamHeading });
defineField({ name: 'http2.magic', label: 'Magic', type: FT.String, proto: 'http2', parent: 'http2.stream',
  parentOf: (d, i) => { const l = layerOf(d); if (l !== null) for (let k = 0; k < l.count; k++) if (l.entries[k].magic && i-- === 0) return k; return 0; },
  count: (d) => { const l = layerOf(d); let n = 0; if (l !== null) for (let i = 0; i < l.count; i++) if (l.entries[i].magic) n++; return n; },
  text: () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
});
const underStream = { parent: 'http2.stream', parentOf: streamOfFrame } as const;
defineField({ name: 'http2.length', valueBits: 24, label: 'Length', type: FT.UInt, proto: 'http2', ...underStream, count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.length ?? 0 });
defineField({
  name: 'http2.type', valueBits: 8, label: 'Type', type: FT.UInt, proto: 'http2', valueNames: HTTP2_TYPE_NAMES, ...underStream,
  count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.type ?? 0,
});
defineField({
  name: 'http2.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'http2', ...underStream, count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.flags ?? 0,
  display: (d, i) => flagsText(frames(d)[i]),
});
// The frame header's last 32 bits: one reserved bit, then the 31-bit stream identifier (RFC 9113 §4.1).
defineField({
  name: 'http2.r', valueBits: 32, label: 'Reserved', type: FT.Hex, hexDigits: 8, proto: 'http2', ...underStream, mask: 0x80000000, bitWidth: 32,
  // -T fields prints the 32-bit field's eight digits, the tree only as many as the one bit needs.
  count: (d) => frames(d).length, num: () => 0, unit: () => 0, display: () => '0x0',
});
defineField({
  name: 'http2.streamid', valueBits: 32, label: 'Stream Identifier', type: FT.UInt, proto: 'http2', ...underStream, mask: 0x7fffffff, bitWidth: 32,
  count: (d) => frames(d).length, num: (d, i) => frames(d)[i]?.streamId ?? 0, unit: (d, i) => frames(d)[i]?.streamId ?? 0,
});

/**
 * The flags each frame type defines (RFC 9113 §6), in the order tshark lists them under Flags:
 * the unused bits first, then each flag from the highest bit down.
 */
const FRAME_FLAGS: Readonly<Record<number, { unused: string; mask: number; flags: [string, string, number][] }>> = {
  0: { unused: 'http2.flags.unused_data', mask: 0xf6, flags: [['http2.flags.padded', 'Padded', 0x8], ['http2.flags.end_stream', 'End Stream', 0x1]] },
  1: { unused: 'http2.flags.unused_headers', mask: 0xd2, flags: [['http2.flags.priority', 'Priority', 0x20], ['http2.flags.padded', 'Padded', 0x8], ['http2.flags.eh', 'End Headers', 0x4], ['http2.flags.end_stream', 'End Stream', 0x1]] },
  4: { unused: 'http2.flags.unused_settings', mask: 0xfe, flags: [['http2.flags.ack.settings', 'ACK', 0x1]] },
  5: { unused: 'http2.flags.unused_push_promise', mask: 0xf3, flags: [['http2.flags.padded', 'Padded', 0x8], ['http2.flags.eh', 'End Headers', 0x4]] },
  6: { unused: 'http2.flags.unused_ping', mask: 0xfe, flags: [['http2.flags.ack.ping', 'ACK', 0x1]] },
  9: { unused: 'http2.flags.unused_continuation', mask: 0xfb, flags: [['http2.flags.eh', 'End Headers', 0x4]] },
};
/** PRIORITY, RST_STREAM, GOAWAY, WINDOW_UPDATE and unknown types define no flag. */
const NO_FLAGS = { unused: 'http2.flags.unused', mask: 0xff, flags: [] as [string, string, number][] };
const flagsOf = (type: number) => FRAME_FLAGS[type] ?? NO_FLAGS;

/** `0x05, End Headers, End Stream`: the flags that are set, as tshark heads the Flags item. */
function flagsText(f: Http2Frame | undefined): string {
  if (f === undefined) return '0x00';
  const set = flagsOf(f.type).flags.filter(([, , bit]) => (f.flags & bit) !== 0).map(([, name]) => name);
  return `0x${f.flags.toString(16).padStart(2, '0')}${set.length > 0 ? ', ' + set.join(', ') : ''}`;
}

/**
 * Each flag bit a frame's type defines, under its Flags item: frames(d) indices of the frames
 * whose type has the field, so that occurrence i names its frame and its Flags item.
 */
function flagBits(): void {
  const fields = new Map<string, { label: string; mask: number; unused: boolean }>();
  for (const t of [...Object.values(FRAME_FLAGS), NO_FLAGS]) {
    fields.set(t.unused, { label: 'Unused', mask: t.mask, unused: true });
    for (const [name, label, bit] of t.flags) fields.set(name, { label, mask: bit, unused: false });
  }
  const has = (type: number, name: string): boolean => { const t = flagsOf(type); return t.unused === name || t.flags.some(([n]) => n === name); };
  const frameAt = (d: Dissection, name: string, i: number): number => {
    const fs = frames(d);
    for (let k = 0; k < fs.length; k++) if (has(fs[k].type, name) && i-- === 0) return k;
    return -1;
  };
  // In tshark's order: the unused bits first, then the flags from the highest bit down (the map's
  // order of insertion already follows HEADERS, the type with the most).
  const order = [...fields.entries()].sort(([, a], [, b]) => (a.unused === b.unused ? b.mask - a.mask : a.unused ? -1 : 1));
  for (const [name, spec] of order) {
    defineField({
      name, label: spec.label, proto: 'http2', parent: 'http2.flags', mask: spec.mask, bitWidth: 8,
      ...(spec.unused ? { type: FT.Hex, hexDigits: 2, valueBits: 8 as const } : { type: FT.Bool }),
      parentOf: (d, i) => Math.max(0, frameAt(d, name, i)),
      count: (d) => { let n = 0; for (const f of frames(d)) if (has(f.type, name)) n++; return n; },
      num: (d, i) => { const k = frameAt(d, name, i); return k < 0 ? 0 : (frames(d)[k].flags & spec.mask) >>> Math.log2(spec.mask & -spec.mask); },
      unit: (d, i) => { const k = frameAt(d, name, i); return k < 0 ? 0 : frames(d)[k].flags; },
      ...(spec.unused ? {} : { display: (d: Dissection, i: number) => { const k = frameAt(d, name, i); return k >= 0 && (frames(d)[k].flags & spec.mask) !== 0 ? 'True' : 'False'; } }),
    });
  }
}

flagBits();

/** Where the i-th decoded header of the packet is: its frame (index in frames()) and place in the list. */
function headerAt(d: Dissection, i: number): [number, [string, string]] | null {
  const fs = frames(d);
  for (let k = 0; k < fs.length; k++) {
    const h = fs[k].headers;
    if (h === null) continue;
    if (i < h.length) return [k, h[i]];
    i -= h.length;
  }
  return null;
}

function nthHeader(d: Dissection, i: number): [string, string] | null {
  return headerAt(d, i)?.[1] ?? null;
}

function headerCount(d: Dissection): number {
  let n = 0;
  for (const f of frames(d)) if (f.headers !== null) n += f.headers.length;
  return n;
}

// Each header an item of its Stream, with its name and value under it, as tshark's tree.
defineField({
  name: 'http2.header', label: 'Header', type: FT.None, proto: 'http2', parent: 'http2.stream', count: headerCount,
  parentOf: (d, i) => { const x = headerAt(d, i); return x === null ? 0 : streamOfFrame(d, x[0]); },
  heading: (d, i) => {
    const h = nthHeader(d, i);
    if (h === null) return 'Header';
    // tshark names the status code's reason beside it
    const reason = h[0] === ':status' ? HTTP_STATUS_TEXT[Number(h[1])] : undefined;
    return label(`Header: ${h[0]}: ${h[1]}${reason !== undefined ? ' ' + reason : ''}`);
  },
});
const underHeader = { parent: 'http2.header', parentOf: (_d: Dissection, i: number) => i } as const;
defineField({ name: 'http2.header.name', label: 'Name', type: FT.String, proto: 'http2', ...underHeader, count: headerCount, text: (d, i) => nthHeader(d, i)?.[0] ?? '' });
defineField({ name: 'http2.header.value', label: 'Value', type: FT.String, proto: 'http2', ...underHeader, count: headerCount, text: (d, i) => nthHeader(d, i)?.[1] ?? '' });

/** The DATA frames of the packet with their data: their index among the entries. */
function dataEntries(d: Dissection): number[] {
  const l = layerOf(d);
  const out: number[] = [];
  if (l !== null) for (let k = 0; k < l.count; k++) if (l.entries[k].data !== null) out.push(k);
  return out;
}
defineField({
  name: 'http2.data.data', label: 'Data', type: FT.Bytes, proto: 'http2', parent: 'http2.stream',
  parentOf: (d, i) => dataEntries(d)[i] ?? 0,
  count: (d) => dataEntries(d).length,
  bytes: (d, i, out) => { const k = dataEntries(d)[i]; if (k === undefined) return false; const b = http2.layer(d).entries[k].data!; return out.set(b, 0, b.length); },
});

/** Every value of header `name` in the packet's decoded blocks, in order. */
function headerValues(d: Dissection, name: string): string[] {
  const out: string[] = [];
  for (const f of frames(d)) if (f.headers !== null) for (const [n, v] of f.headers) if (n === name) out.push(v);
  return out;
}

// tshark's fields for the pseudo-headers and the headers it names (http2.headers.*), strings …
for (const header of [
  ':authority', ':path', ':method', ':scheme', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges',
  'access-control-allow-origin', 'allow', 'authorization', 'cache-control', 'content-disposition', 'content-encoding',
  'content-language', 'content-location', 'content-range', 'content-type', 'cookie', 'date', 'etag', 'expect', 'expires', 'from',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'link', 'location',
  'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'refresh', 'retry-after', 'server', 'set-cookie',
  'strict-transport-security', 'user-agent', 'vary', 'via', 'www-authenticate',
]) {
  defineField({
    name: `http2.headers.${header.replace(/^:/, '').replace(/-/g, '_')}`, label: header, type: FT.String, proto: 'http2', hidden: true,
    count: (d) => headerValues(d, header).length, text: (d, i) => headerValues(d, header)[i] ?? '',
  });
}
// … and numbers, where the value is one
for (const [header, bits] of [[':status', 16], ['content-length', 64], ['age', 64], ['max-forwards', 64]] as const) {
  const numeric = (d: Dissection): number[] => headerValues(d, header).filter((v) => /^\d{1,15}$/.test(v)).map(Number);
  defineField({
    name: `http2.headers.${header.replace(/^:/, '').replace(/-/g, '_')}`, label: header, type: FT.UInt, valueBits: bits, proto: 'http2', hidden: true,
    count: (d) => numeric(d).length, num: (d, i) => numeric(d)[i] ?? 0,
  });
}

/** Whether the packet carries HTTP/2 (for other stages' use). */
export function carriesHttp2(d: Dissection): boolean {
  return layerOf(d) !== null;
}

export { HEADERS as HTTP2_HEADERS, PUSH_PROMISE as HTTP2_PUSH_PROMISE };
