// Follow TCP stream: the payload of one conversation in order, each side's bytes once (segments
// sent again are trimmed by their relative sequence numbers), read back from the store. Lines are
// made here, sanitized, with the side they belong to; the UI only colours them.

import { Dissection } from '../decode/dissection';
import { sanitizeBytes } from '../output/sanitize';
import { hexDumpLines, followHexLines, followAsciiBytes } from '../output/hexdump';
import { PacketStore } from './packet-store';
import { CHUNK_BITS, CHUNK_MASK, Misc, TlsContentBit } from './columns';
import { isUdpRow, udpKey, udpStreamNumbers } from './conversations';
import { followFilter as filterOf } from '../reports/statistics/follow';

export const enum Side {
  Client = 0,
  Server = 1,
  /** Headings and notes written by tcpwatch, not payload. */
  Note = 2,
}

export interface FollowSegment {
  side: Side;
  /** Packet index the bytes came from. */
  packet: number;
  data: Buffer;
  /** TLS content types in the segment (TlsContentBit bits), 0 for plain TCP payload. */
  tls: number;
}

export type FollowMode = 'wire' | 'tls' | 'http' | 'http2';

/** How the bytes are shown: text (a hex dump where they are not), tshark's follow hex dump, or raw hex. */
export type FollowEncoding = 'ascii' | 'hex' | 'raw';
export const FOLLOW_ENCODINGS: readonly FollowEncoding[] = ['ascii', 'hex', 'raw'];

export interface FollowLine {
  side: Side;
  text: string;
}

export interface FollowResult {
  /** tcp.stream, or udp.stream for a UDP conversation. */
  stream: number;
  /** The transport followed: the filter leaving Follow applies is tcp.stream / udp.stream eq N. */
  protocol: 'TCP' | 'UDP';
  /**
   * What is followed: the payload as on the wire, the TLS records' decrypted application data, or
   * the HTTP messages (header blocks and entity bodies) over TCP or in decrypted TLS, or the frames
   * of one HTTP/2 stream (TCP only).
   */
  mode: FollowMode;
  /** HTTP/2: the HTTP/2 stream followed (-1: the connection has none), and every one it carries but 0, in order. */
  substream?: number;
  substreams?: number[];
  client: string;
  server: string;
  segments: FollowSegment[];
  clientBytes: number;
  serverBytes: number;
  /** More payload than maxBytes: the rest is not shown. */
  truncated: boolean;
  isTls: boolean;
}

const TWO32 = 4294967296;
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Which side of its TCP stream packet i is from; the first packet of the stream names both ends in
 * `res` (the client is the side that opened it, or sent first).
 */
export function tcpSide(store: PacketStore, i: number, res: FollowResult): Side {
  const ix = store.index;
  const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  const side = c.misc[j] & Misc.FromServer ? Side.Server : Side.Client;
  if (res.client === '') {
    const a = `${ix.addresses.text(c.src[j])}:${c.srcPort[j]}`, b = `${ix.addresses.text(c.dst[j])}:${c.dstPort[j]}`;
    res.client = side === Side.Client ? a : b;
    res.server = side === Side.Client ? b : a;
  }
  return side;
}

export function followStream(store: PacketStore, stream: number, maxBytes = DEFAULT_MAX_BYTES): FollowResult {
  const ix = store.index;
  const packets = store.streamPackets(stream);
  const d = new Dissection();
  const res: FollowResult = { stream, protocol: 'TCP', mode: 'wire', client: '', server: '', segments: [], clientBytes: 0, serverBytes: 0, truncated: false, isTls: false };
  // Next relative sequence number expected from each side: bytes below it were already shown.
  const next = [0, 0];
  const seen = [false, false];
  let total = 0;
  for (const i of packets) {
    const side = tcpSide(store, i, res);
    if (!store.load(i, d) || d.payloadCapLen === 0) continue;
    let off = d.payloadOff, len = d.payloadCapLen;
    const seq = d.tcp.relSeq;
    if (seen[side]) {
      const behind = (next[side] - seq + TWO32) % TWO32;
      // A segment that starts before what was already shown is (partly) a retransmission.
      if (behind > 0 && behind < TWO32 / 2) {
        if (behind >= len) continue;
        off += behind;
        len -= behind;
      }
    }
    seen[side] = true;
    next[side] = (seq + d.payloadCapLen) % TWO32;
    if (total + len > maxBytes) {
      res.truncated = true;
      break;
    }
    total += len;
    const tls = ix.chunks[i >>> CHUNK_BITS].tlsContent[i & CHUNK_MASK];
    if (tls !== 0) res.isTls = true;
    res.segments.push({ side, packet: i, data: Buffer.from(d.buf.subarray(off, off + len)), tls });
    if (side === Side.Client) res.clientBytes += len;
    else res.serverBytes += len;
  }
  return res;
}

/**
 * Follow UDP stream: every datagram between the two address/port pairs of `packet` (either way),
 * whole, in capture order; the client is who sent the first. Its udp.stream is found as the
 * analysis numbers conversations, in the order their first datagram appears (a replay of the
 * packet alone would not know it).
 */
export function followUdp(store: PacketStore, packet: number, maxBytes = DEFAULT_MAX_BYTES): FollowResult {
  const ix = store.index;
  const p = ix.chunks[packet >>> CHUNK_BITS], pj = packet & CHUNK_MASK;
  const a = p.src[pj], b = p.dst[pj], pa = p.srcPort[pj], pb = p.dstPort[pj];
  const res: FollowResult = { stream: -1, protocol: 'UDP', mode: 'wire', client: '', server: '', segments: [], clientBytes: 0, serverBytes: 0, truncated: false, isTls: false };
  const d = new Dissection();
  let total = 0, clientAddr = 0, clientPort = 0;
  for (let i = 0; i < ix.count; i++) {
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    if (!isUdpRow(c.proto[j], c.stream[j])) continue;
    const s = c.src[j], t = c.dst[j], sp = c.srcPort[j], tp = c.dstPort[j];
    if (!((s === a && t === b && sp === pa && tp === pb) || (s === b && t === a && sp === pb && tp === pa))) continue;
    if (res.client === '') {
      res.stream = udpStreamNumbers(ix).get(udpKey(s, sp, t, tp)) ?? -1;
      clientAddr = s;
      clientPort = sp;
      res.client = `${ix.addresses.text(s)}:${sp}`;
      res.server = `${ix.addresses.text(t)}:${tp}`;
    }
    if (res.truncated) continue;
    const side = s === clientAddr && sp === clientPort ? Side.Client : Side.Server;
    if (!store.load(i, d) || d.payloadCapLen === 0) continue;
    const len = d.payloadCapLen;
    if (total + len > maxBytes) {
      res.truncated = true;
      continue;
    }
    total += len;
    res.segments.push({ side, packet: i, data: Buffer.from(d.buf.subarray(d.payloadOff, d.payloadOff + len)), tls: 0 });
    if (side === Side.Client) res.clientBytes += len;
    else res.serverBytes += len;
  }
  return res;
}

const TLS_NAMES: [number, string][] = [
  [TlsContentBit.Handshake, 'Handshake'],
  [TlsContentBit.ChangeCipherSpec, 'Change Cipher Spec'],
  [TlsContentBit.ApplicationData, 'Application Data'],
  [TlsContentBit.Alert, 'Alert'],
  [TlsContentBit.Heartbeat, 'Heartbeat'],
  [TlsContentBit.Other, 'other records'],
];

/** Share of bytes that are printable ASCII, tab, CR or LF, or part of UTF-8 text. */
function looksLikeText(b: Buffer): boolean {
  let ok = 0;
  for (let k = 0; k < b.length; k++) {
    const x = b[k];
    if ((x >= 0x20 && x < 0x7f) || x === 0x09 || x === 0x0a || x === 0x0d || x >= 0x80) ok++;
  }
  return ok >= b.length * 0.9;
}

/** What the view calls the mode: TLS, HTTP, HTTP/2, or the transport (TCP, UDP). */
export function followModeName(r: FollowResult): string {
  return r.mode === 'tls' ? 'TLS' : r.mode === 'http' ? 'HTTP' : r.mode === 'http2' ? 'HTTP/2' : r.protocol;
}

/** The display filter that shows what is followed: leaving Follow applies it. */
export function followFilter(r: FollowResult): string {
  return filterOf(r.protocol === 'UDP' ? 'udp' : r.mode === 'http2' ? 'http2' : 'tcp', r.stream, r.substream ?? -1);
}

/** What is followed, as headings name it: `TLS stream 1`, or `HTTP/2 stream 3 of tcp.stream 1`. */
export function followName(r: FollowResult): string {
  if (r.mode === 'http2') return `HTTP/2 stream ${r.substream ?? -1} of tcp.stream ${r.stream}`;
  return `${followModeName(r)} stream ${r.stream}`;
}

/**
 * One segment's bytes as `encoding` shows them: hex as tshark's follow hex dump (its offset counts
 * the side's bytes before it, `sideOffset`), raw as one line of hex digits.
 */
function encodedLines(data: Buffer, encoding: 'hex' | 'raw', sideOffset: number): string[] {
  return encoding === 'hex' ? followHexLines(data, sideOffset) : [data.toString('hex')];
}

/**
 * What saving the view writes for one side or both (`side` -1): in ASCII the bytes themselves, as
 * they were sent (nothing escaped: it goes to a file, not the terminal); in hex and raw the lines
 * the view shows under its headings.
 */
export function followSaved(r: FollowResult, encoding: FollowEncoding, side: Side | -1): Buffer {
  const parts: Buffer[] = [];
  const offset = [0, 0];
  for (const s of r.segments) {
    if (side < 0 || s.side === side) {
      parts.push(encoding === 'ascii' ? s.data : Buffer.from(encodedLines(s.data, encoding, offset[s.side]).join('\n') + '\n', 'latin1'));
    }
    offset[s.side] += s.data.length;
  }
  return Buffer.concat(parts);
}

/** The conversation as lines: a heading per run of one side's bytes, then the bytes as `encoding` shows them. */
export function followLines(r: FollowResult, width = 100, encoding: FollowEncoding = 'ascii'): FollowLine[] {
  const out: FollowLine[] = [];
  const tls = r.mode === 'tls';
  out.push({ side: Side.Note, text: `Follow ${followName(r)}: ${r.client} (client) \u2194 ${r.server} (server)` });
  out.push({
    side: Side.Note,
    text: `client sent ${r.clientBytes} bytes, server sent ${r.serverBytes} bytes` +
      (tls ? ' of decrypted application data' : r.mode === 'http' ? ' in HTTP messages (header blocks and entity bodies)' :
        r.mode === 'http2' ? ' in HTTP/2 frames (header blocks as their decoded header lists)' : r.isTls ? '; TLS records are shown as they are on the wire (encrypted)' : ''),
  });
  if (tls && r.segments.length === 0) out.push({ side: Side.Note, text: 'no application data was decrypted (no key log for this connection: K loads one)' });
  if (r.mode === 'http' && r.segments.length === 0) out.push({ side: Side.Note, text: 'no HTTP message was read in this stream' });
  if (r.mode === 'http2' && r.segments.length === 0) out.push({ side: Side.Note, text: 'no HTTP/2 frame of this stream was read' });
  out.push({ side: Side.Note, text: '' });
  const offset = [0, 0];
  for (const s of r.segments) {
    const who = s.side === Side.Client ? r.client : r.server;
    let heading = `\u2500\u2500 frame ${s.packet + 1}, ${who}, ${s.data.length} bytes${tls ? ' decrypted' : ''}`;
    if (s.tls !== 0) {
      const kinds = TLS_NAMES.filter(([bit]) => s.tls & bit).map(([, n]) => n).join(', ');
      heading += `, TLS ${kinds}` + (s.tls & TlsContentBit.ApplicationData ? ' (encrypted)' : '');
    }
    out.push({ side: Side.Note, text: heading });
    if (encoding !== 'ascii') {
      // hex digits and the dump's dotted ASCII column: nothing in them reaches the terminal raw
      for (const line of encodedLines(s.data, encoding, offset[s.side])) out.push({ side: s.side, text: line });
    } else if (r.mode === 'http2' || (s.tls === 0 && looksLikeText(s.data))) {
      // Lines break at LF (a CR before it is part of the line ending, not shown); the rest is sanitized.
      // HTTP/2's header lists and frames are binary: shown as tshark's follow,http2,ascii shows them.
      const b = r.mode === 'http2' ? followAsciiBytes(s.data) : s.data;
      let start = 0;
      for (let k = 0; k <= b.length; k++) {
        if (k < b.length && b[k] !== 0x0a) continue;
        if (k === b.length && start === k && k > 0) break;
        const end = k > start && b[k - 1] === 0x0d && k < b.length ? k - 1 : k;
        const line = sanitizeBytes(b, start, end - start);
        for (let p = 0; p < Math.max(1, line.length); p += width) out.push({ side: s.side, text: line.slice(p, p + width) });
        start = k + 1;
      }
    } else {
      for (const line of hexDumpLines(s.data, 0, s.data.length)) out.push({ side: s.side, text: line });
    }
    offset[s.side] += s.data.length;
  }
  if (r.truncated) out.push({ side: Side.Note, text: '\u2026 the rest of the conversation is not shown (more than 8 MiB)' });
  return out;
}
