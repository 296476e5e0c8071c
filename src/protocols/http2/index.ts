// HTTP/2 (RFC 9113) as tshark 4.0 shows it: each frame one PDU (the client's connection preface is
// one too, "Magic"), cut by its 9-byte header's length by the same framing that serves HTTP/1.x
// over decrypted TLS (src/http/pdu-stream.ts). Header blocks are decoded with each direction's
// HPACK decoder (src/http/http2.ts keeps its bounds). Cleartext h2c is not looked for: tshark 4.0's
// HTTP/2 heuristic over TCP is off by default, and its HTTP/2 holds no TCP port. The Info column
// lists the frames as tshark does: `HEADERS[1]: GET /index.html`, `SETTINGS[0], WINDOW_UPDATE[0]`,
// `HEADERS[1]: 200 OK, DATA[1] (text/html)` — the body's media type on the frame that ends it.

import { Dissection } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { fragmentLine } from '../../fields/fragments';
import { CLIENT_PREFACE, Http2Parser } from '../../http/http2';
import { HPACK_REPRESENTATIONS } from '../../http/hpack';
import type { Http2Frame } from '../../http/http-info';
import { STATUS_TEXT as HTTP_STATUS_TEXT, namesMediaType } from '../http';
import { mediaType } from '../http/message';
import { offerTextLines } from '../text-lines';

const FRAME_HEADER_LEN = 9;
const END_STREAM = 0x1;
const PADDED = 0x8;
const DATA = 0x0, HEADERS = 0x1, PRIORITY_FRAME = 0x2, RST_STREAM = 0x3, PUSH_PROMISE = 0x5, PING = 0x6, GOAWAY = 0x7, WINDOW_UPDATE = 0x8;
const PRIORITY_FLAG = 0x20;
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
  /** A DATA frame's Pad Length octet (RFC 9113 §6.1), 0 when not PADDED. */
  pad = 0;
  /** On the DATA frame that ends a body of several: each piece's frame number and length. */
  fragments: [number, number][] | null = null;
  /** Its words in the Info column. */
  text = '';
  /** The whole frame, 9-byte header included: [pduOff, pduEnd) of pduBuf (valid while the packet is shown); null when not one frame's PDU. */
  pduBuf: Buffer | null = null;
  pduOff = 0;
  pduEnd = 0;
}

export class Http2Layer {
  frameNumber = -1;
  count = 0;
  readonly entries: FrameEntry[] = [];
  /**
   * What the fields worked out from this packet's frames (which frames, headers, settings carry a
   * field): each field occurrence looks it up instead of walking every frame again, so a packet
   * of thousands of frames and headers costs linear time to show. Emptied whenever frames are added.
   */
  readonly memo = new Map<unknown, unknown>();
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
    e.pad = 0;
    e.fragments = null;
    e.text = '';
    e.pduBuf = null;
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
  /** The media type of the body the last DATA frame with END_STREAM ended ('' when none was named). */
  endedMediaType = '';

  /** Data of each stream's message so far per direction (`dir:stream`), until the stream ends, with the frame number of each piece. */
  private readonly bodies = new Map<number, Buffer[]>();
  private readonly bodyFrames = new Map<number, number[]>();
  private bodyBytes = 0;
  /** Of the last body() that ended a body of several pieces: each piece's frame number and length; else null. */
  fragments: [number, number][] | null = null;

  /**
   * A DATA frame's data; at the end of its stream the whole body, as tshark shows the reassembled
   * body on the frame that ends it. Bodies are kept up to MAX_BODY_BYTES over all streams.
   */
  body(dir: number, stream: number, data: Buffer, end: boolean, frame: number): Buffer {
    const key = dir * 0x80000000 + stream;
    const parts = this.bodies.get(key);
    this.fragments = null;
    if (end) {
      if (parts === undefined) return data;
      const frames = this.bodyFrames.get(key)!;
      this.forget(key, parts);
      this.fragments = parts.map((p, i) => [frames[i], p.length]);
      this.fragments.push([frame, data.length]);
      return Buffer.concat([...parts, data]);
    }
    if (this.bodyBytes + data.length > MAX_BODY_BYTES || (parts === undefined && this.bodies.size >= MAX_STREAMS)) {
      // past the bound the body is not whole: its end shows its own frame's data only
      if (parts !== undefined) this.forget(key, parts);
      return data;
    }
    const copy = Buffer.from(data);
    this.bodyBytes += copy.length;
    if (parts === undefined) {
      this.bodies.set(key, [copy]);
      this.bodyFrames.set(key, [frame]);
    } else {
      parts.push(copy);
      this.bodyFrames.get(key)!.push(frame);
    }
    return data;
  }

  private forget(key: number, parts: Buffer[]): void {
    for (const p of parts) this.bodyBytes -= p.length;
    this.bodies.delete(key);
    this.bodyFrames.delete(key);
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
      layer.memo.clear();
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
        if (frameOut.length === 1 && end - off === FRAME_HEADER_LEN + f.length) {
          e.pduBuf = buf;
          e.pduOff = off;
          e.pduEnd = end;
        }
        if (f.type === DATA && frameOut.length === 1 && end - off === FRAME_HEADER_LEN + f.length) {
          // RFC 9113 §6.1: Pad Length (1) when PADDED, the data, then the padding
          let from = off + FRAME_HEADER_LEN, to = end;
          if (f.flags & PADDED) {
            const pad = f.length > 0 ? buf[from] : 0;
            e.pad = pad;
            from++;
            to = Math.max(from, to - pad);
          }
          if (from <= to) {
            e.data = c.body(dir, f.streamId, buf.subarray(from, to), (f.flags & END_STREAM) !== 0, d.number);
            e.fragments = c.fragments;
            // The body's text stands inside this frame's tree, as Wireshark's HTTP/2 hands the
            // whole body to the media dissector there.
            if ((f.flags & END_STREAM) !== 0) offerTextLines(d, e.data, 0, e.data.length, c.endedMediaType, reassembled ? d.payloadOff : off, 'http2', layer.count - 1);
          }
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
    c.endedMediaType = type === undefined ? '' : mediaType(type);
    if (namesMediaType(c.endedMediaType)) s += ` (${c.endedMediaType})`;
  }
  return s;
}

// ---- fields ----

function layerOf(d: Dissection): Http2Layer | null {
  if (!d.hasLayer(http2.id)) return null;
  const l = http2.layer(d);
  return l.frameNumber === d.number ? l : null;
}

const NOTHING: never[] = [];

/** `make`'s answer for this packet, worked out once (see Http2Layer.memo); `empty` without HTTP/2. */
function memo<T>(d: Dissection, key: unknown, make: (l: Http2Layer) => T, empty: T): T {
  const l = layerOf(d);
  if (l === null) return empty;
  let v = l.memo.get(key) as T | undefined;
  if (v === undefined) l.memo.set(key, (v = make(l)));
  return v;
}

/** The packet's HTTP/2 frames (the preface is none). */
function frames(d: Dissection): Http2Frame[] {
  return memo(d, frames, (l) => {
    const out: Http2Frame[] = [];
    for (let i = 0; i < l.count; i++) if (l.entries[i].frame !== null) out.push(l.entries[i].frame!);
    return out;
  }, NOTHING);
}

/** The Stream item (the PDU's index in the packet) that frame i (of frames()) stands under. */
function streamOfFrame(d: Dissection, i: number): number {
  const at = memo(d, streamOfFrame, (l) => {
    const out: number[] = [];
    for (let k = 0; k < l.count; k++) if (l.entries[k].frame !== null) out.push(k);
    return out;
  }, NOTHING as number[]);
  return at[i] ?? 0;
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
  // a piece of a body that later frames continue, as tshark marks it while reassembling bodies
  if (f.type === DATA && (f.flags & END_STREAM) === 0) s += ' (partial entity body)';
  return label(s);
}

// One tree per PDU, the preface too, as tshark's: each HTTP/2 frame is a protocol item of its own
// with one Stream item under it.
defineField({
  name: 'http2', label: 'HyperText Transfer Protocol 2', type: FT.None, proto: 'http2',
  count: (d) => layerOf(d)?.count ?? 0,
  text: () => 'HyperText Transfer Protocol 2',
});
defineField({ name: 'http2.stream', label: 'Stream', type: FT.None, proto: 'http2', count: (d) => layerOf(d)?.count ?? 0, heading: streamHeading, instanceOf: (_d, i) => i });
const magicEntry = (d: Dissection, i: number): number => { const l = layerOf(d); if (l !== null) for (let k = 0; k < l.count; k++) if (l.entries[k].magic && i-- === 0) return k; return 0; };
defineField({ name: 'http2.magic', label: 'Magic', type: FT.String, proto: 'http2', parent: 'http2.stream', parentOf: magicEntry, instanceOf: magicEntry,
  count: (d) => { const l = layerOf(d); let n = 0; if (l !== null) for (let i = 0; i < l.count; i++) if (l.entries[i].magic) n++; return n; },
  text: () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
});
const underStream = { parent: 'http2.stream', parentOf: streamOfFrame, instanceOf: streamOfFrame } as const;
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
      instanceOf: (d, i) => streamOfFrame(d, Math.max(0, frameAt(d, name, i))),
      count: (d) => { let n = 0; for (const f of frames(d)) if (has(f.type, name)) n++; return n; },
      num: (d, i) => { const k = frameAt(d, name, i); return k < 0 ? 0 : (frames(d)[k].flags & spec.mask) >>> Math.log2(spec.mask & -spec.mask); },
      unit: (d, i) => { const k = frameAt(d, name, i); return k < 0 ? 0 : frames(d)[k].flags; },
      ...(spec.unused ? {} : { display: (d: Dissection, i: number) => { const k = frameAt(d, name, i); return k >= 0 && (frames(d)[k].flags & spec.mask) !== 0 ? 'True' : 'False'; } }),
    });
  }
}

flagBits();

/** The packet's decoded headers in order: each one's frame (index in frames()) and place in its list. */
function headerTable(d: Dissection): [number, number][] {
  return memo(d, headerTable, () => {
    const fs = frames(d);
    const out: [number, number][] = [];
    for (let k = 0; k < fs.length; k++) { const h = fs[k].headers; if (h !== null) for (let j = 0; j < h.length; j++) out.push([k, j]); }
    return out;
  }, NOTHING as [number, number][]);
}

/** Where the i-th decoded header of the packet is: its frame (index in frames()) and place in the list. */
function headerAt(d: Dissection, i: number): [number, number] | null {
  return headerTable(d)[i] ?? null;
}

function nthHeader(d: Dissection, i: number): [string, string] | null {
  const x = headerAt(d, i);
  return x === null ? null : frames(d)[x[0]].headers![x[1]];
}

function headerCount(d: Dissection): number {
  return headerTable(d).length;
}

/** The Stream item (entry index) of the i-th decoded header. */
const headerStream = (d: Dissection, i: number): number => { const x = headerAt(d, i); return x === null ? 0 : streamOfFrame(d, x[0]); };

/** The frames (indices in frames()) that `keep` selects: occurrence i of a field that only some frames carry. */
function framesWhere(d: Dissection, keep: (f: Http2Frame, d: Dissection, k: number) => boolean): number[] {
  return memo(d, keep, () => {
    const fs = frames(d);
    const out: number[] = [];
    for (let k = 0; k < fs.length; k++) if (keep(fs[k], d, k)) out.push(k);
    return out;
  }, NOTHING as number[]);
}

/**
 * A field that some frames carry once, under their Stream item: `keep` selects the frames, `num`
 * or `text` or `bytes` reads its value from the frame.
 */
function frameField(def: {
  name: string; label: string; type: FT; keep: (f: Http2Frame, d: Dissection, k: number) => boolean;
  num?: (f: Http2Frame, d: Dissection, k: number) => number; text?: (f: Http2Frame) => string; bytes?: (f: Http2Frame, out: Span) => boolean;
  valueBits?: 8 | 16 | 32; hexDigits?: number; mask?: number; bitWidth?: number; unit?: (f: Http2Frame) => number; display?: (f: Http2Frame) => string;
  valueNames?: Readonly<Record<number, string>>; generated?: boolean;
}): void {
  const at = (d: Dissection, i: number): number => framesWhere(d, def.keep)[i] ?? -1;
  const frame = (d: Dissection, i: number): Http2Frame | null => { const k = at(d, i); return k < 0 ? null : frames(d)[k]; };
  const stream = (d: Dissection, i: number): number => { const k = at(d, i); return k < 0 ? 0 : streamOfFrame(d, k); };
  defineField({
    name: def.name, label: def.label, type: def.type, proto: 'http2', parent: 'http2.stream', parentOf: stream, instanceOf: stream,
    count: (d) => framesWhere(d, def.keep).length,
    ...(def.valueBits !== undefined ? { valueBits: def.valueBits } : {}),
    ...(def.hexDigits !== undefined ? { hexDigits: def.hexDigits } : {}),
    ...(def.mask !== undefined ? { mask: def.mask, bitWidth: def.bitWidth } : {}),
    ...(def.valueNames !== undefined ? { valueNames: def.valueNames } : {}),
    ...(def.generated === true ? { generated: true } : {}),
    ...(def.num !== undefined ? { num: (d: Dissection, i: number) => { const k = at(d, i); return k < 0 ? 0 : def.num!(frames(d)[k], d, k); } } : {}),
    ...(def.text !== undefined ? { text: (d: Dissection, i: number) => { const f = frame(d, i); return f === null ? '' : def.text!(f); } } : {}),
    ...(def.bytes !== undefined ? { bytes: (d: Dissection, i: number, out: Span) => { const f = frame(d, i); return f !== null && def.bytes!(f, out); } } : {}),
    ...(def.unit !== undefined ? { unit: (d: Dissection, i: number) => { const f = frame(d, i); return f === null ? 0 : def.unit!(f); } } : {}),
    ...(def.display !== undefined ? { display: (d: Dissection, i: number) => { const f = frame(d, i); return f === null ? '' : def.display!(f); } } : {}),
  });
}

const ofType = (...types: number[]) => (f: Http2Frame): boolean => types.includes(f.type);
const u32 = (f: Http2Frame, at: number): number => (f.payload !== null && at + 4 <= f.payload.length ? f.payload.readUInt32BE(at) : 0);
const hasU32 = (f: Http2Frame, at: number): boolean => f.payload !== null && at + 4 <= f.payload.length;
/** The DATA entry of frames() index k (its padding is read where the frame was cut). */
const entryOfFrame = (d: Dissection, k: number): FrameEntry | null => { const l = layerOf(d); return l === null ? null : l.entries[streamOfFrame(d, k)] ?? null; };
/** RFC 9113 §6.1, §6.2, §6.6: the Pad Length octet of a PADDED frame, 0 otherwise. */
function padOf(f: Http2Frame, d: Dissection, k: number): number {
  if ((f.flags & PADDED) === 0) return 0;
  if (f.type === DATA) return entryOfFrame(d, k)?.pad ?? 0;
  return f.payload !== null && f.payload.length > 0 ? f.payload[0] : 0;
}
const PADDABLE = ofType(DATA, HEADERS, PUSH_PROMISE);
/** A HEADERS frame's priority fields come after the Pad Length octet (RFC 9113 §6.2). */
const priorityAt = (f: Http2Frame): number => (f.type === HEADERS && f.flags & PADDED ? 1 : 0);
const hasPriority = (f: Http2Frame): boolean => (f.type === PRIORITY_FRAME && hasU32(f, 0) && f.payload!.length >= 5) ||
  (f.type === HEADERS && (f.flags & PRIORITY_FLAG) !== 0 && hasU32(f, priorityAt(f)) && f.payload!.length >= priorityAt(f) + 5);
const weight = (f: Http2Frame): number => (f.payload !== null ? f.payload[priorityAt(f) + 4] ?? 0 : 0);

frameField({ name: 'http2.padding', label: 'Pad Length', type: FT.Hex, hexDigits: 2, valueBits: 8, keep: (f) => PADDABLE(f) && (f.flags & PADDED) !== 0, num: padOf });
frameField({ name: 'http2.pad_length', label: 'Pad Length', type: FT.UInt, valueBits: 16, generated: true, keep: PADDABLE, num: padOf });
frameField({
  name: 'http2.exclusive', label: 'Exclusive', type: FT.Bool, mask: 0x80000000, bitWidth: 32, keep: hasPriority,
  num: (f) => (u32(f, priorityAt(f)) >>> 31), unit: (f) => u32(f, priorityAt(f)),
  display: (f) => (u32(f, priorityAt(f)) >>> 31 ? 'True' : 'False'),
});
frameField({
  name: 'http2.stream_dependency', label: 'Stream Dependency', type: FT.UInt, valueBits: 32, mask: 0x7fffffff, bitWidth: 32, keep: hasPriority,
  num: (f) => u32(f, priorityAt(f)) & 0x7fffffff, unit: (f) => u32(f, priorityAt(f)),
});
frameField({ name: 'http2.headers.weight', label: 'Weight', type: FT.UInt, valueBits: 8, keep: hasPriority, num: weight });
frameField({ name: 'http2.headers.weight_real', label: 'Weight real', type: FT.UInt, valueBits: 8, generated: true, keep: hasPriority, num: (f) => weight(f) + 1 });
// RST_STREAM and GOAWAY error codes (RFC 9113 §7)
const ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 3: 'FLOW_CONTROL_ERROR', 4: 'SETTINGS_TIMEOUT', 5: 'STREAM_CLOSED',
  6: 'FRAME_SIZE_ERROR', 7: 'REFUSED_STREAM', 8: 'CANCEL', 9: 'COMPRESSION_ERROR', 10: 'CONNECT_ERROR', 11: 'ENHANCE_YOUR_CALM',
  12: 'INADEQUATE_SECURITY', 13: 'HTTP_1_1_REQUIRED',
};
frameField({ name: 'http2.rst_stream.error', label: 'Error', type: FT.UInt, valueBits: 32, valueNames: ERROR_NAMES, keep: (f) => f.type === RST_STREAM && hasU32(f, 0), num: (f) => u32(f, 0) });
frameField({
  name: 'http2.push_promise.r', label: 'Reserved', type: FT.Hex, hexDigits: 8, valueBits: 32, mask: 0x80000000, bitWidth: 32,
  keep: (f) => f.type === PUSH_PROMISE && hasU32(f, f.flags & PADDED ? 1 : 0), num: (f) => u32(f, f.flags & PADDED ? 1 : 0) >>> 31,
  unit: (f) => u32(f, f.flags & PADDED ? 1 : 0), display: (f) => `0x${(u32(f, f.flags & PADDED ? 1 : 0) >>> 31).toString(16)}`,
});
frameField({
  name: 'http2.push_promise.promised_stream_id', label: 'Promised-Stream-ID', type: FT.UInt, valueBits: 32, mask: 0x7fffffff, bitWidth: 32,
  keep: (f) => f.type === PUSH_PROMISE && hasU32(f, f.flags & PADDED ? 1 : 0), num: (f) => u32(f, f.flags & PADDED ? 1 : 0) & 0x7fffffff,
  unit: (f) => u32(f, f.flags & PADDED ? 1 : 0),
});
const blockBytes = (f: Http2Frame, out: Span): boolean => f.payload !== null && f.blockStart >= 0 && out.set(f.payload, f.blockStart, f.blockEnd - f.blockStart);
frameField({ name: 'http2.headers', label: 'Header Block Fragment', type: FT.Bytes, keep: (f) => f.type === HEADERS && f.blockStart >= 0, bytes: blockBytes });
frameField({ name: 'http2.push_promise.header', label: 'Header Block Fragment', type: FT.Bytes, keep: (f) => f.type === PUSH_PROMISE && f.blockStart >= 0, bytes: blockBytes });

// The decoded block, as tshark counts it: each field as 4 bytes of name length, the name, 4 bytes of
// value length and the value.
frameField({
  name: 'http2.header.length', label: 'Header Length', type: FT.UInt, valueBits: 32, generated: true, keep: (f) => f.headers !== null,
  num: (f) => { let n = 0; for (const [a, b] of f.headers!) n += 8 + a.length + b.length; return n; },
});
frameField({ name: 'http2.header.count', label: 'Header Count', type: FT.UInt, valueBits: 32, generated: true, keep: (f) => f.headers !== null, num: (f) => f.headers!.length });

// Each header an item of its Stream, with its name and value under it, as tshark's tree.
defineField({
  name: 'http2.header', label: 'Header', type: FT.None, proto: 'http2', parent: 'http2.stream', count: headerCount,
  parentOf: headerStream, instanceOf: headerStream,
  heading: (d, i) => {
    const h = nthHeader(d, i);
    if (h === null) return 'Header';
    // tshark names the status code's reason beside it
    const reason = h[0] === ':status' ? HTTP_STATUS_TEXT[Number(h[1])] : undefined;
    return label(`Header: ${h[0]}: ${h[1]}${reason !== undefined ? ' ' + reason : ''}`);
  },
});
const underHeader = { parent: 'http2.header', parentOf: (_d: Dissection, i: number) => i, instanceOf: headerStream } as const;
defineField({ name: 'http2.header.name.length', label: 'Name Length', type: FT.UInt, valueBits: 32, proto: 'http2', ...underHeader, count: headerCount, num: (d, i) => nthHeader(d, i)?.[0].length ?? 0 });
defineField({ name: 'http2.header.name', label: 'Name', type: FT.String, proto: 'http2', ...underHeader, count: headerCount, text: (d, i) => nthHeader(d, i)?.[0] ?? '' });
defineField({ name: 'http2.header.value.length', label: 'Value Length', type: FT.UInt, valueBits: 32, proto: 'http2', ...underHeader, count: headerCount, num: (d, i) => nthHeader(d, i)?.[1].length ?? 0 });
defineField({ name: 'http2.header.value', label: 'Value', type: FT.String, proto: 'http2', ...underHeader, count: headerCount, text: (d, i) => nthHeader(d, i)?.[1] ?? '' });

/** The headers (their index among the packet's decoded headers) named `name`. */
function headersNamed(d: Dissection, name: string): number[] {
  return memo(d, `named:${name}`, () => {
    const out: number[] = [];
    let i = 0;
    for (const f of frames(d)) if (f.headers !== null) for (const [n] of f.headers) { if (n === name) out.push(i); i++; }
    return out;
  }, NOTHING as number[]);
}

// tshark's fields for the pseudo-headers and the headers it names (http2.headers.*), each under its
// header as `:method: GET`: strings …
for (const header of [
  ':authority', ':path', ':method', ':scheme', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges',
  'access-control-allow-origin', 'allow', 'authorization', 'cache-control', 'content-disposition', 'content-encoding',
  'content-language', 'content-location', 'content-range', 'content-type', 'cookie', 'date', 'etag', 'expect', 'expires', 'from',
  'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'link', 'location',
  'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'refresh', 'retry-after', 'server', 'set-cookie',
  'strict-transport-security', 'user-agent', 'vary', 'via', 'www-authenticate',
]) {
  const headerOf = (d: Dissection, i: number): number => headersNamed(d, header)[i] ?? 0;
  defineField({
    name: `http2.headers.${header.replace(/^:/, '').replace(/-/g, '_')}`, label: header, type: FT.String, proto: 'http2',
    parent: 'http2.header', parentOf: headerOf, instanceOf: (d, i) => headerStream(d, headerOf(d, i)),
    count: (d) => headersNamed(d, header).length, text: (d, i) => nthHeader(d, headerOf(d, i))?.[1] ?? '',
  });
}
// … and numbers, where the value is one
for (const [header, bits] of [[':status', 16], ['content-length', 64], ['age', 64], ['max-forwards', 64]] as const) {
  const numeric = (d: Dissection): number[] => memo(d, `numeric:${header}`, () => headersNamed(d, header).filter((i) => /^\d{1,15}$/.test(nthHeader(d, i)?.[1] ?? '')), NOTHING as number[]);
  const headerOf = (d: Dissection, i: number): number => numeric(d)[i] ?? 0;
  defineField({
    name: `http2.headers.${header.replace(/^:/, '').replace(/-/g, '_')}`, label: header, type: FT.UInt, valueBits: bits, proto: 'http2',
    parent: 'http2.header', parentOf: headerOf, instanceOf: (d, i) => headerStream(d, headerOf(d, i)),
    count: (d) => numeric(d).length, num: (d, i) => Number(nthHeader(d, headerOf(d, i))?.[1] ?? 0),
  });
}

/**
 * A header value with its %XX escapes decoded, as tshark's Unescaped item (GLib's URI unescaping):
 * null where an escape is not two hex digits or decodes to a NUL, and tshark shows none.
 */
function unescaped(v: string): string | null {
  if (!v.includes('%')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '%') { out += v[i]; continue; }
    const hex = v.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
    const c = parseInt(hex, 16);
    if (c === 0) return null;
    out += String.fromCharCode(c);
    i += 2;
  }
  return out;
}
const unescapedHeaders = (d: Dissection): number[] => memo(d, unescaped, () => {
  const out: number[] = [];
  const n = headerCount(d);
  for (let i = 0; i < n; i++) if (unescaped(nthHeader(d, i)?.[1] ?? '') !== null) out.push(i);
  return out;
}, NOTHING as number[]);
defineField({
  name: 'http2.header.unescaped', label: 'Unescaped', type: FT.String, proto: 'http2', generated: true, parent: 'http2.header',
  parentOf: (d, i) => unescapedHeaders(d)[i] ?? 0, instanceOf: (d, i) => headerStream(d, unescapedHeaders(d)[i] ?? 0),
  count: (d) => unescapedHeaders(d).length, text: (d, i) => unescaped(nthHeader(d, unescapedHeaders(d)[i] ?? 0)?.[1] ?? '') ?? '',
});

/** How header i was encoded: its frame's detail and its place there, when the block was this frame's alone. */
function encodingOf(d: Dissection, i: number): [Http2Frame, number] | null {
  const x = headerAt(d, i);
  if (x === null) return null;
  const f = frames(d)[x[0]];
  return f.detail !== null && x[1] < f.detail.repr.length ? [f, x[1]] : null;
}
const encodedHeaders = (d: Dissection, indexed: boolean): number[] => memo(d, indexed ? 'encoded:indexed' : 'encoded', () => {
  const out: number[] = [];
  const n = headerCount(d);
  for (let i = 0; i < n; i++) {
    const e = encodingOf(d, i);
    if (e !== null && (!indexed || e[0].detail!.index[e[1]] > 0)) out.push(i);
  }
  return out;
}, NOTHING as number[]);
defineField({
  name: 'http2.header.repr', label: 'Representation', type: FT.String, proto: 'http2', parent: 'http2.header',
  parentOf: (d, i) => encodedHeaders(d, false)[i] ?? 0, instanceOf: (d, i) => headerStream(d, encodedHeaders(d, false)[i] ?? 0),
  count: (d) => encodedHeaders(d, false).length,
  text: (d, i) => { const e = encodingOf(d, encodedHeaders(d, false)[i] ?? -1); return e === null ? '' : HPACK_REPRESENTATIONS[e[0].detail!.repr[e[1]]]; },
});
defineField({
  name: 'http2.header.index', label: 'Index', type: FT.UInt, valueBits: 32, proto: 'http2', parent: 'http2.header',
  parentOf: (d, i) => encodedHeaders(d, true)[i] ?? 0, instanceOf: (d, i) => headerStream(d, encodedHeaders(d, true)[i] ?? 0),
  count: (d) => encodedHeaders(d, true).length,
  num: (d, i) => { const e = encodingOf(d, encodedHeaders(d, true)[i] ?? -1); return e === null ? 0 : e[0].detail!.index[e[1]]; },
});

/** A request's full URI, as tshark gives it for a block with an :authority (RFC 9113 §8.3.1; CONNECT: the authority alone). */
function fullUri(f: Http2Frame): string {
  const get = (n: string): string => header(f, n);
  return get(':method') === 'CONNECT' ? get(':authority') : `${get(':scheme')}://${get(':authority')}${get(':path')}`;
}
frameField({ name: 'http2.request.full_uri', label: 'Full request URI', type: FT.String, generated: true, keep: (f) => f.headers !== null && f.headers.some(([n]) => n === ':authority'), text: fullUri });
const padBytes = (f: Http2Frame, out: Span): boolean => f.payload !== null && f.blockEnd >= 0 && out.set(f.payload, f.blockEnd, f.payload.length - f.blockEnd);
const paddedBlock = (type: number) => (f: Http2Frame): boolean => f.type === type && f.payload !== null && f.blockEnd >= 0 && f.blockEnd < f.payload.length;
frameField({ name: 'http2.headers.padding', label: 'Padding', type: FT.Bytes, keep: paddedBlock(HEADERS), bytes: padBytes });
frameField({ name: 'http2.push_promise.padding', label: 'Padding', type: FT.Bytes, keep: paddedBlock(PUSH_PROMISE), bytes: padBytes });

/** The DATA frames of the packet with their data: their index among the entries. */
function dataEntries(d: Dissection): number[] {
  return memo(d, dataEntries, (l) => {
    const out: number[] = [];
    for (let k = 0; k < l.count; k++) if (l.entries[k].data !== null) out.push(k);
    return out;
  }, NOTHING as number[]);
}
// The pieces of a body reassembled from several DATA frames, on the frame that ends it.
const fragmented = (d: Dissection): number[] => memo(d, 'fragmented', (l) => {
  const out: number[] = [];
  for (let k = 0; k < l.count; k++) if (l.entries[k].fragments !== null && l.entries[k].data !== null) out.push(k);
  return out;
}, NOTHING as number[]);
const fragmentsOf = (d: Dissection, i: number): [number, number][] => { const k = fragmented(d)[i]; return k === undefined ? [] : http2.layer(d).entries[k].fragments!; };
const underData = { parent: 'http2.stream', parentOf: (d: Dissection, i: number) => fragmented(d)[i] ?? 0, instanceOf: (d: Dissection, i: number) => fragmented(d)[i] ?? 0, count: (d: Dissection) => fragmented(d).length } as const;
defineField({
  name: 'http2.body.fragments', label: 'Body fragments', type: FT.None, proto: 'http2', generated: true, ...underData,
  heading: (d, i) => {
    const fr = fragmentsOf(d, i);
    let total = 0;
    for (const [, n] of fr) total += n;
    return label(`${fr.length} Body fragments (${total} bytes): ${fr.map(([f, n]) => `#${f}(${n})`).join(', ')}`);
  },
});
/** Fragment j of the packet's reassembled bodies: [body index, its frame, offset in the body, length]. */
function fragmentAt(d: Dissection, j: number): [number, number, number, number] | null {
  const n = fragmented(d).length;
  for (let i = 0; i < n; i++) {
    const fr = fragmentsOf(d, i);
    if (j < fr.length) { let off = 0; for (let k = 0; k < j; k++) off += fr[k][1]; return [i, fr[j][0], off, fr[j][1]]; }
    j -= fr.length;
  }
  return null;
}
const fragmentCount = (d: Dissection): number => { let n = 0; for (let i = 0; i < fragmented(d).length; i++) n += fragmentsOf(d, i).length; return n; };
defineField({
  name: 'http2.body.fragment', label: 'Body fragment', type: FT.UInt, valueBits: 32, ftype: 'FT_FRAMENUM', proto: 'http2', generated: true, parent: 'http2.body.fragments',
  parentOf: (d, j) => fragmentAt(d, j)?.[0] ?? 0, instanceOf: (d, j) => fragmented(d)[fragmentAt(d, j)?.[0] ?? 0] ?? 0,
  count: fragmentCount, num: (d, j) => fragmentAt(d, j)?.[1] ?? 0,
  heading: (d, j) => { const x = fragmentAt(d, j); return x === null ? 'Frame' : fragmentLine(x[1], x[2], x[3]); },
});
const underFragments = { parent: 'http2.body.fragments', parentOf: (_d: Dissection, i: number) => i, instanceOf: (d: Dissection, i: number) => fragmented(d)[i] ?? 0, count: (d: Dissection) => fragmented(d).length } as const;
defineField({ name: 'http2.body.fragment.count', label: 'Body fragment count', type: FT.UInt, valueBits: 32, proto: 'http2', generated: true, ...underFragments, num: (d, i) => fragmentsOf(d, i).length });
defineField({
  name: 'http2.body.reassembled.length', label: 'Reassembled body length', type: FT.UInt, valueBits: 32, proto: 'http2', generated: true, ...underFragments,
  num: (d, i) => { const k = fragmented(d)[i]; return k === undefined ? 0 : http2.layer(d).entries[k].data!.length; },
});
defineField({
  name: 'http2.body.reassembled.data', label: 'Reassembled body data', type: FT.Bytes, proto: 'http2', generated: true, ...underFragments,
  bytes: (d, i, out) => { const k = fragmented(d)[i]; if (k === undefined) return false; const b = http2.layer(d).entries[k].data!; return out.set(b, 0, b.length); },
});
defineField({
  name: 'http2.data.data', label: 'Data', type: FT.Bytes, proto: 'http2', parent: 'http2.stream',
  parentOf: (d, i) => dataEntries(d)[i] ?? 0, instanceOf: (d, i) => dataEntries(d)[i] ?? 0,
  count: (d) => dataEntries(d).length,
  bytes: (d, i, out) => { const k = dataEntries(d)[i]; if (k === undefined) return false; const b = http2.layer(d).entries[k].data!; return out.set(b, 0, b.length); },
});

// SETTINGS (RFC 9113 §6.5.2, RFC 8441 §3): each setting an item with its identifier and value.
const SETTING_NAMES: Readonly<Record<number, string>> = {
  1: 'Header table size', 2: 'Enable PUSH', 3: 'Max concurrent streams', 4: 'Initial Windows size', 5: 'Max frame size',
  6: 'Max header list size', 8: 'Extended CONNECT',
};
const SETTING_FIELDS: Readonly<Record<number, [string, string]>> = {
  1: ['http2.settings.header_table_size', 'Header table size'], 2: ['http2.settings.enable_push', 'Enable PUSH'],
  3: ['http2.settings.max_concurrent_streams', 'Max concurrent streams'], 4: ['http2.settings.initial_window_size', 'Initial Windows Size'],
  5: ['http2.settings.max_frame_size', 'Max frame size'], 6: ['http2.settings.max_header_list_size', 'Max header list size'],
  8: ['http2.settings.extended_connect', 'Extended CONNECT'],
};
const SETTING_LEN = 6;
/** Every setting of the packet's SETTINGS frames: [frames() index, offset in its payload]. */
function settings(d: Dissection): [number, number][] {
  return memo(d, settings, () => settingsOf(d), NOTHING as [number, number][]);
}
function settingsOf(d: Dissection): [number, number][] {
  const out: [number, number][] = [];
  const fs = frames(d);
  for (let k = 0; k < fs.length; k++) {
    const p = fs[k].payload;
    if (fs[k].type !== 4 || p === null) continue;
    for (let at = 0; at + SETTING_LEN <= p.length; at += SETTING_LEN) out.push([k, at]);
  }
  return out;
}
const settingId = (d: Dissection, s: [number, number]): number => frames(d)[s[0]].payload!.readUInt16BE(s[1]);
const settingValue = (d: Dissection, s: [number, number]): number => frames(d)[s[0]].payload!.readUInt32BE(s[1] + 2);
const settingStream = (d: Dissection, i: number): number => { const s = settings(d)[i]; return s === undefined ? 0 : streamOfFrame(d, s[0]); };
defineField({
  name: 'http2.settings', label: 'Settings', type: FT.None, proto: 'http2', parent: 'http2.stream', parentOf: settingStream, instanceOf: settingStream,
  count: (d) => settings(d).length,
  heading: (d, i) => { const s = settings(d)[i]; if (s === undefined) return 'Settings'; const id = settingId(d, s); return `Settings - ${SETTING_NAMES[id] ?? 'Unknown'} : ${settingValue(d, s)}`; },
});
defineField({
  name: 'http2.settings.id', label: 'Settings Identifier', type: FT.UInt, valueBits: 16, valueNames: SETTING_NAMES, proto: 'http2',
  parent: 'http2.settings', parentOf: (_d, i) => i, instanceOf: settingStream,
  count: (d) => settings(d).length, num: (d, i) => { const s = settings(d)[i]; return s === undefined ? 0 : settingId(d, s); },
});
for (const id of [...Object.keys(SETTING_FIELDS).map(Number), -1]) {
  const [name, lbl] = id >= 0 ? SETTING_FIELDS[id] : ['http2.settings.unknown', 'Unknown Settings'];
  const ofId = (d: Dissection): number[] => memo(d, name, () => {
    const out: number[] = [];
    const all = settings(d);
    for (let i = 0; i < all.length; i++) { const x = settingId(d, all[i]); if (id >= 0 ? x === id : SETTING_FIELDS[x] === undefined) out.push(i); }
    return out;
  }, NOTHING as number[]);
  defineField({
    name, label: lbl, type: FT.UInt, valueBits: 32, proto: 'http2', parent: 'http2.settings',
    parentOf: (d, i) => ofId(d)[i] ?? 0, instanceOf: (d, i) => settingStream(d, ofId(d)[i] ?? 0),
    count: (d) => ofId(d).length, num: (d, i) => { const s = settings(d)[ofId(d)[i] ?? -1]; return s === undefined ? 0 : settingValue(d, s); },
  });
}

// PING, GOAWAY, WINDOW_UPDATE (RFC 9113 §6.7–6.9)
const payloadBytes = (from: number) => (f: Http2Frame, out: Span): boolean => f.payload !== null && f.payload.length >= from && out.set(f.payload, from, f.payload.length - from);
frameField({ name: 'http2.ping', label: 'Ping', type: FT.Bytes, keep: (f) => f.type === PING && f.payload !== null && (f.flags & 1) === 0, bytes: payloadBytes(0) });
frameField({ name: 'http2.pong', label: 'Pong', type: FT.Bytes, keep: (f) => f.type === PING && f.payload !== null && (f.flags & 1) !== 0, bytes: payloadBytes(0) });
const reserved = (type: number, name: string): void => frameField({
  name, label: 'Reserved', type: FT.Hex, hexDigits: 8, valueBits: 32, mask: 0x80000000, bitWidth: 32, keep: (f) => f.type === type && hasU32(f, 0),
  num: (f) => u32(f, 0) >>> 31, unit: (f) => u32(f, 0), display: (f) => `0x${(u32(f, 0) >>> 31).toString(16)}`,
});
reserved(GOAWAY, 'http2.goaway.r');
frameField({
  name: 'http2.goaway.last_stream_id', label: 'Last-Stream-ID', type: FT.UInt, valueBits: 32, mask: 0x7fffffff, bitWidth: 32,
  keep: (f) => f.type === GOAWAY && hasU32(f, 0), num: (f) => u32(f, 0) & 0x7fffffff, unit: (f) => u32(f, 0),
});
frameField({ name: 'http2.goaway.error', label: 'Error', type: FT.UInt, valueBits: 32, valueNames: ERROR_NAMES, keep: (f) => f.type === GOAWAY && hasU32(f, 4), num: (f) => u32(f, 4) });
frameField({ name: 'http2.goaway.addata', label: 'Additional Debug Data', type: FT.Bytes, keep: (f) => f.type === GOAWAY && f.payload !== null && f.payload.length > 8, bytes: payloadBytes(8) });
reserved(WINDOW_UPDATE, 'http2.window_update.r');
frameField({
  name: 'http2.window_update.window_size_increment', label: 'Window Size Increment', type: FT.UInt, valueBits: 32, mask: 0x7fffffff, bitWidth: 32,
  keep: (f) => f.type === WINDOW_UPDATE && hasU32(f, 0), num: (f) => u32(f, 0) & 0x7fffffff, unit: (f) => u32(f, 0),
});

/** Whether the packet carries HTTP/2 (for other stages' use). */
export function carriesHttp2(d: Dissection): boolean {
  return layerOf(d) !== null;
}

export { HEADERS as HTTP2_HEADERS, PUSH_PROMISE as HTTP2_PUSH_PROMISE };
