// How the indexing process (src/store/index-process.ts) hands its index to the UI.
//
// What it sends (64 bytes of rows a packet, then addresses, verdicts and progress) goes through a
// ring file: an unlinked temporary file both processes hold open (fd 4 in the indexing process).
// The indexer writes a message's body there and announces it on its pipe with a few bytes; the UI
// reads rows with positioned reads straight into its columns, other bodies into a buffer, and
// acknowledges on the indexer's standard input how far it has read, so the indexer reuses that part
// of the ring. Neither side waits for the other while the ring has room (the pipe holds a few
// hundred KiB, less than one batch: an indexer writing there stops whenever the UI is busy drawing
// or waits for the CPU), and the UI allocates nothing per batch of rows: the rows of a big file cost
// no memory beyond the index. Where no temporary file can be made, and for a body larger than a
// quarter of the ring, the body travels on the pipe itself (rows are then copied from each read into
// their columns).
//
// Pipe messages: u32 length (little-endian, counting the type byte and payload), u8 type, payload.
//   ROWS:      u32 chunk, u32 first row, u32 end row, then the rows' bytes column after column
//   ADDRESSES: u32 first id, then the entries' bytes (ids within one address chunk)
//   VERDICTS:  verdict rows of the streams that changed (StreamVerdicts.flat) as float64s
//   TLS_NAMES, TLS_STREAMS, DUP_ACKS: what TLS told about streams, and Dup ACK details (see below)
//   JSON:      a ProgressMessage or StartMessage, after the rows and table entries it publishes
//   ROWS_AT:   u32 chunk, u32 first row, u32 end row, f64 ring offset of the rows' bytes
//   AT:        u8 type, u32 length, f64 ring offset: a message of that type whose payload is in the ring
// Acknowledgements on the indexer's standard input: f64 (little-endian) ring offset read up to.

import * as fs from 'node:fs';
import { PacketChunk, BYTES_PER_PACKET, CHUNK_SIZE } from './columns';
import type { LinkEntry, AppEntry } from './packet-index';

/** The pipe the index travels on (stdin, stdout and stderr stay free for diagnostics). */
export const INDEX_FD = 3;

/** One batch of table changes and the new count, sent after the batch's rows. */
export interface ProgressMessage {
  t: 'progress';
  links: [number, LinkEntry][];
  apps: [number, AppEntry][];
  streamCount: number;
  count: number;
  bytesRead: number;
  /** Timestamps carry more than microseconds (known once the first interface has been read). */
  nanosecond: boolean;
  done: boolean;
  error: string | null;
}

export interface StartMessage {
  t: 'start';
  fileBytes: number;
}

export type IndexMessage = StartMessage | ProgressMessage | { t: 'fatal'; message: string };

export const MSG_ROWS = 1;
export const MSG_ADDRESSES = 2;
export const MSG_JSON = 3;
export const MSG_VERDICTS = 4;
export const MSG_ROWS_AT = 5;
export const MSG_AT = 6;
/** u32 first number, then a JSON array of the TLS names (server names, versions) numbered from it. */
export const MSG_TLS_NAMES = 7;
/** u32 triples: stream, server name number, version number plus one (TlsStreamTable). */
export const MSG_TLS_STREAMS = 8;
/** u32 triples: packet, frame number of the original ACK, Dup ACK count. */
export const MSG_DUP_ACKS = 9;

/** The ring file's size: 512Ki rows, more than ten batches of the fastest indexing (tests use less). */
export const RING_BYTES = 32 * 1024 * 1024;

/**
 * Bodies larger than a quarter of the ring go on the pipe, and rows are written in pieces no larger:
 * then acknowledging every eighth of the ring is enough for the writer never to wait on a reader
 * that has read everything.
 */
export function ringMaxBody(ringBytes: number): number {
  return Math.floor(ringBytes / 4);
}
/** The ring file's descriptor in the indexing process. */
export const RING_FD = 4;

const HEAD = 5;
const ROWS_HEAD = 12;

export interface PipeTarget {
  /** The chunk that receives rows of chunk number `ci` (made when new). */
  rowsChunk(ci: number): PacketChunk;
  /** A whole message other than ROWS. */
  message(type: number, body: Buffer): void;
  /** The stream cannot be read on (a message contradicts its own length). */
  broken(reason: string): void;
}

export class IndexPipeReader {
  private readonly head = Buffer.alloc(HEAD + ROWS_HEAD);
  private headHave = 0;
  private headNeed = HEAD;
  private type = 0;
  private body: Buffer | null = null;
  private bodyHave = 0;
  // the ROWS message being received
  private chunk: PacketChunk | null = null;
  private from = 0;
  private rows = 0;
  private col = 0;
  private colHave = 0;
  private failed = false;

  constructor(private readonly target: PipeTarget) {}

  push(b: Buffer): void {
    const n = b.length;
    let p = 0;
    while (p < n && !this.failed) {
      if (this.headHave < this.headNeed) {
        const k = Math.min(this.headNeed - this.headHave, n - p);
        b.copy(this.head, this.headHave, p, p + k);
        this.headHave += k;
        p += k;
        if (this.headHave === this.headNeed) this.headDone();
        continue;
      }
      const c = this.chunk;
      if (c !== null) {
        const col = c.columns[this.col];
        const size = col.BYTES_PER_ELEMENT;
        const k = Math.min(this.rows * size - this.colHave, n - p);
        new Uint8Array(col.buffer, col.byteOffset + this.from * size + this.colHave, k).set(b.subarray(p, p + k));
        p += k;
        this.colHave += k;
        if (this.colHave === this.rows * size) {
          this.colHave = 0;
          if (++this.col === c.columns.length) this.next();
        }
        continue;
      }
      const body = this.body!;
      const k = Math.min(body.length - this.bodyHave, n - p);
      b.copy(body, this.bodyHave, p, p + k);
      p += k;
      this.bodyHave += k;
      if (this.bodyHave === body.length) this.deliver();
    }
  }

  private headDone(): void {
    const h = this.head;
    const len = h.readUInt32LE(0);
    if (this.headNeed === HEAD) {
      this.type = h[4];
      if (len < 1) return this.fail('empty message');
      if (this.type === MSG_ROWS) {
        if (len - 1 < ROWS_HEAD) return this.fail('short rows message');
        this.headNeed = HEAD + ROWS_HEAD;
        return;
      }
      this.body = Buffer.allocUnsafe(len - 1);
      this.bodyHave = 0;
      if (len === 1) this.deliver();
      return;
    }
    const ci = h.readUInt32LE(5), from = h.readUInt32LE(9), to = h.readUInt32LE(13);
    if (to < from || len - 1 !== ROWS_HEAD + (to - from) * BYTES_PER_PACKET) return this.fail('rows message of the wrong length');
    this.chunk = this.target.rowsChunk(ci);
    if (to > this.chunk.stream.length) return this.fail('rows beyond their chunk');
    this.from = from;
    this.rows = to - from;
    this.col = 0;
    this.colHave = 0;
    if (this.rows === 0) this.next();
  }

  private deliver(): void {
    const body = this.body!;
    this.body = null;
    const type = this.type;
    this.next();
    this.target.message(type, body);
  }

  private next(): void {
    this.chunk = null;
    this.headHave = 0;
    this.headNeed = HEAD;
  }

  private fail(reason: string): void {
    this.failed = true;
    this.target.broken(reason);
  }
}

/** The UI's side of the ring file. */
export class RingReader {
  /** Ring offset read up to, and the last one acknowledged. */
  private readUpTo = 0;
  private acked = 0;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(readonly fd: number, private readonly acknowledge: (b: Buffer) => void, readonly size = RING_BYTES) {}

  /** Read rows [from, to) of chunk `c` from ring offset `at`; false when they are not all there. */
  readRows(c: PacketChunk, from: number, to: number, at: number): boolean {
    if (to < from || to > CHUNK_SIZE || !(at >= 0) || (to - from) * BYTES_PER_PACKET > ringMaxBody(this.size)) return false;
    let pos = at % this.size;
    for (const col of c.columns) {
      const size = col.BYTES_PER_ELEMENT, n = (to - from) * size;
      if (!this.readFully(new Uint8Array(col.buffer, col.byteOffset + from * size, n), pos)) return false;
      pos += n;
    }
    this.done(at + (to - from) * BYTES_PER_PACKET);
    return true;
  }

  /**
   * A message body of `len` bytes at ring offset `at`, or null when it is not all there. The bytes
   * are valid until the next call (one buffer serves every body, so batches leave no garbage).
   */
  readBody(at: number, len: number): Buffer | null {
    if (!(at >= 0) || len > ringMaxBody(this.size)) return null;
    if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, 2 * this.scratch.length));
    const b = this.scratch.subarray(0, len);
    if (!this.readFully(b, at % this.size)) return null;
    this.done(at + len);
    return b;
  }

  private readFully(view: Uint8Array, pos: number): boolean {
    for (let got = 0; got < view.length;) {
      const k = fs.readSync(this.fd, view, got, view.length - got, pos + got);
      if (k === 0) return false;
      got += k;
    }
    return true;
  }

  private done(upTo: number): void {
    if (upTo > this.readUpTo) this.readUpTo = upTo;
    if (this.readUpTo - this.acked < this.size / 8) return;
    this.acked = this.readUpTo;
    const b = Buffer.allocUnsafe(8); // the stream may still hold the previous one
    b.writeDoubleLE(this.acked, 0);
    this.acknowledge(b);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The indexer's side: where the next body goes, waiting for the UI when the ring is full. The UI
 * acknowledges every eighth of the ring, so a writer that has all its earlier bodies read finds room
 * for any body up to ringMaxBody (with the bytes skipped at the ring's end, at most twice that).
 */
export class RingWriter {
  /** Ring offsets (growing without bound; the file position is the offset modulo the size). */
  private written = 0;
  private acked = 0;
  private readonly ack = Buffer.alloc(8);
  private ackHave = 0;

  constructor(readonly fd: number, private readonly ackFd: number, readonly size = RING_BYTES) {}

  /** Rows that fit in one piece (a range of rows is written in pieces of at most this many). */
  get maxRows(): number {
    return Math.floor(ringMaxBody(this.size) / BYTES_PER_PACKET);
  }

  /** Write rows [from, to) of chunk `c` (at most maxRows), column after column; returns their ring offset. */
  writeRows(c: PacketChunk, from: number, to: number): number {
    const at = this.place((to - from) * BYTES_PER_PACKET);
    let p = at % this.size;
    for (const col of c.columns) {
      const size = col.BYTES_PER_ELEMENT;
      const view = new Uint8Array(col.buffer, col.byteOffset + from * size, (to - from) * size);
      this.writeFully(view, p);
      p += view.length;
    }
    return at;
  }

  /** Write a body made of `parts`; returns its ring offset. */
  writeBody(parts: Uint8Array[], len: number): number {
    const at = this.place(len);
    let p = at % this.size;
    for (const part of parts) {
      this.writeFully(part, p);
      p += part.length;
    }
    return at;
  }

  private writeFully(view: Uint8Array, pos: number): void {
    for (let done = 0; done < view.length;) done += fs.writeSync(this.fd, view, done, view.length - done, pos + done);
  }

  /** The ring offset for `n` more bytes, once the UI has read what they would overwrite. */
  private place(n: number): number {
    let at = this.written;
    const pos = at % this.size;
    // A body is never split over the ring's end: it starts again at the beginning.
    if (pos + n > this.size) at += this.size - pos;
    while (at + n - this.acked > this.size) this.waitForAck();
    this.written = at + n;
    return at;
  }

  private waitForAck(): void {
    let k: number;
    try {
      k = fs.readSync(this.ackFd, this.ack, this.ackHave, 8 - this.ackHave, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1); // a non-blocking descriptor: look again in a millisecond
      return;
    }
    if (k === 0) throw Object.assign(new Error('the UI has gone'), { code: 'EPIPE' });
    this.ackHave += k;
    if (this.ackHave === 8) {
      this.acked = Math.max(this.acked, this.ack.readDoubleLE(0));
      this.ackHave = 0;
    }
  }
}
