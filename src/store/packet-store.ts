// The packet store: the columnar index of every packet plus access to the frames' bytes, for a
// capture file (indexed by a second process while the UI already shows the first rows), standard input or
// live capture (indexed on arrival). Showing a packet re-reads its frame, decodes it again and
// restores the analysis results from the index, so nothing per packet is kept as an object.

import * as fs from 'node:fs';
import { createPrivateFile } from '../capture/file-writer';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';
import { CaptureFileReader } from '../capture/file-reader';
import { CapturedFrame } from '../capture/frame';
import { Dissection } from '../decode/dissection';
import { decodeFrame } from '../decode/decoder';
import { MainOptions } from '../hooks';
import { Pipeline, Analyzer } from '../pipeline';
import { makeAnalyzers } from '../hooks';
import { PacketIndex } from './packet-index';
import { AppendableFrames, FileFrames, FrameRef, FrameStorage, MemoryFrames } from './frames';
import { FileIndexer, Indexer } from './indexer';
import { CHUNK_BITS, CHUNK_MASK, NO_STREAM } from './columns';
import {
  INDEX_FD, IndexMessage, IndexPipeReader, RingReader, MSG_ADDRESSES, MSG_JSON, MSG_VERDICTS, MSG_ROWS_AT, MSG_AT, MSG_TLS_NAMES, MSG_TLS_STREAMS, MSG_DUP_ACKS, RING_FD, RING_BYTES,
} from './index-pipe';

export type StoreKind = 'file' | 'stdin' | 'live';

/** Packets of a stream replayed through fresh analyzers to rebuild a packet's full dissection (TLS state …). */
const MAX_REPLAY = 4000;
/** In-process indexing works in slices this long, so keys and redraws are never kept waiting longer. */
const SLICE_MS = 12;
/** Frames indexed on the UI thread while the worker starts: more than a screen of rows. */
const PREVIEW_FRAMES = 256;
/**
 * Read size of the readers the UI keeps or previews with: they read a few frames, and a buffer
 * once filled stays resident for as long as anything refers to a frame in it.
 */
const SMALL_READS = 64 * 1024;

const EMPTY = Buffer.alloc(0);

export class PacketStore {
  /** Size of the ring file rows come through from the indexing process (tests make it small so it wraps). */
  static ringBytes = RING_BYTES;

  /** Replaced once: by the indexing process's when its first rows arrive (after the preview). */
  index = new PacketIndex();
  /** The store's own decode record for rows; callers that keep a packet pass their own. */
  readonly d = new Dissection();
  loading = true;
  bytesRead = 0;
  totalBytes = 0;
  error: string | null = null;
  nanosecond = false;
  /** Wall-clock milliseconds (performance.now) when loading finished, -1 while loading. */
  loadedAt = -1;
  private readonly ref = new FrameRef();
  private readonly listeners: (() => void)[] = [];
  private child: ChildProcess | null = null;
  private ring: RingReader | null = null;
  private fileIndexer: FileIndexer | null = null;
  private liveIndexer: Indexer | null = null;
  private timer: NodeJS.Immediate | null = null;
  private closed = false;
  private previewing = false;
  private incoming: PacketIndex | null = null;
  private secretsReader: CaptureFileReader | null = null;

  private constructor(
    readonly kind: StoreKind,
    readonly description: string,
    readonly frames: FrameStorage,
    /** The options packets are read with; a live capture's change when a key log is loaded (reindexLive). */
    public opts: MainOptions,
  ) {}

  get count(): number {
    return this.index.count;
  }

  /** Called after every batch of new packets and when loading ends. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Open a capture file. With `separate` the file is indexed by another process (on the other core);
   * otherwise in slices on this thread (standard input always is: its frames must be kept in memory).
   */
  static openFile(file: string, opts: MainOptions, separate = true): PacketStore {
    if (file === '-') {
      const mem = new MemoryFrames();
      const store = new PacketStore('stdin', 'standard input', mem, opts);
      store.startInProcess(new CaptureFileReader('-'), mem);
      return store;
    }
    // Validates the header now, so errors reach the command line. Separate indexing makes this reader
    // preview a few hundred frames only: it reads in small slices, not the reader's usual 4 MiB.
    const reader = separate ? new CaptureFileReader(file, undefined, SMALL_READS) : new CaptureFileReader(file);
    const store = new PacketStore('file', file, new FileFrames(file), opts);
    try {
      store.totalBytes = fs.statSync(file).size;
    } catch {
      store.totalBytes = 0;
    }
    if (separate) {
      // The process starts first: it loads its modules on the other core while this one previews.
      store.startIndexProcess(file);
      store.preview(reader);
      reader.close();
    } else {
      store.startInProcess(reader, null);
    }
    return store;
  }

  /** A store for live capture: frames are appended with appendLive as they arrive. */
  static live(description: string, opts: MainOptions, frames: AppendableFrames = new MemoryFrames()): PacketStore {
    const store = new PacketStore('live', description, frames, opts);
    store.liveIndexer = new Indexer(store.index, opts, null);
    store.nanosecond = true;
    return store;
  }

  /**
   * Index the first frames on this thread, so the first screen does not wait for the indexing process
   * to start (it loads every feature module first). That process indexes them again; its index then
   * replaces this one.
   */
  private preview(reader: CaptureFileReader): void {
    const fi = new FileIndexer(reader, this.index, this.opts, null);
    try {
      fi.step(PREVIEW_FRAMES, Infinity);
      fi.indexer.syncVerdicts();
    } catch {
      return; // whatever went wrong, the worker will meet it and report it
    }
    this.nanosecond = reader.nanosecond;
    this.previewing = this.index.count > 0;
  }

  private startIndexProcess(file: string): void {
    const ringFd = openRingFile();
    const stdio: ('ignore' | 'pipe' | number)[] = [ringFd >= 0 ? 'pipe' : 'ignore', 'ignore', 'pipe'];
    stdio[INDEX_FD] = 'pipe';
    if (ringFd >= 0) stdio[RING_FD] = ringFd;
    const ringBytes = Math.max(64 * 1024, Math.floor(PacketStore.ringBytes));
    const args = [path.join(__dirname, 'index-process.js'), file, JSON.stringify(this.opts), ringFd >= 0 ? `ring:${ringBytes}` : 'pipe'];
    const child = spawn(process.execPath, args, { stdio });
    this.child = child;
    if (ringFd >= 0) {
      // Acknowledgements go to the indexer's standard input; once it has ended there is nothing to tell.
      child.stdin!.on('error', () => undefined);
      this.ring = new RingReader(ringFd, (b) => {
        if (this.child !== null) child.stdin!.write(b);
      }, ringBytes);
    }
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString();
    });
    const pipe = child.stdio[INDEX_FD] as NodeJS.ReadableStream;
    const reader = new IndexPipeReader({
      rowsChunk: (ci) => this.receivingIndex().chunkForRows(ci),
      message: (type, body) => this.onIndexMessage(type, body),
      broken: (reason) => {
        this.error = `indexing stopped (${reason})`;
        child.kill();
        this.finishLoading();
      },
    });
    pipe.on('data', (b: Buffer) => {
      if (!this.closed) reader.push(b);
    });
    child.on('error', (e) => {
      this.error = `indexing failed: ${e.message}`;
      this.finishLoading();
    });
    // 'close' rather than 'exit': the pipe may still hold the last rows when the process exits.
    child.on('close', (code) => {
      this.child = null;
      this.ring?.close();
      this.ring = null;
      if (this.loading && !this.closed) {
        if (code !== 0 && this.error === null) this.error = `indexing stopped (${stderr.trim().split('\n').pop() ?? `exit ${code}`})`;
        this.finishLoading();
      }
    });
  }

  /**
   * The index that messages from the indexing process fill. That process starts from the first
   * packet again: its index is filled aside and replaces the preview's at its first progress
   * message, so the list is never empty between.
   */
  private receivingIndex(): PacketIndex {
    if (this.previewing) {
      this.incoming = new PacketIndex();
      this.previewing = false;
    }
    return this.incoming ?? this.index;
  }

  private onIndexMessage(type: number, body: Buffer): void {
    if (this.closed) return;
    const ix = this.receivingIndex();
    if (type === MSG_ADDRESSES) {
      ix.addresses.setEntries(body.readUInt32LE(0), body.subarray(4));
      return;
    }
    if (type === MSG_ROWS_AT || type === MSG_AT) {
      let ok = false;
      if (this.ring !== null && type === MSG_ROWS_AT && body.length >= 20) {
        ok = this.ring.readRows(ix.chunkForRows(body.readUInt32LE(0)), body.readUInt32LE(4), body.readUInt32LE(8), body.readDoubleLE(12));
      } else if (this.ring !== null && type === MSG_AT && body.length >= 13) {
        const inner = this.ring.readBody(body.readDoubleLE(5), body.readUInt32LE(1));
        if (inner !== null && body[0] !== MSG_AT && body[0] !== MSG_ROWS_AT) {
          this.onIndexMessage(body[0], inner);
          ok = true;
        }
      }
      if (!ok) {
        this.error = 'indexing stopped (what it sent is missing from its ring file)';
        this.child?.kill();
        this.finishLoading();
      }
      return;
    }
    if (type === MSG_VERDICTS) {
      // Read in place when aligned (the ring's scratch buffer is); a copy otherwise.
      const n = body.length >>> 3;
      let rows: Float64Array;
      if (body.byteOffset % 8 === 0) {
        rows = new Float64Array(body.buffer, body.byteOffset, n);
      } else {
        rows = new Float64Array(n);
        new Uint8Array(rows.buffer).set(body.subarray(0, n * 8));
      }
      ix.verdicts.apply(rows);
      return;
    }
    if (type === MSG_TLS_NAMES) {
      let names: unknown;
      try {
        names = JSON.parse(body.toString('utf8', 4));
      } catch {
        names = null;
      }
      if (Array.isArray(names)) ix.tlsStreams.addStrings(body.readUInt32LE(0), names as string[]);
      return;
    }
    if (type === MSG_TLS_STREAMS || type === MSG_DUP_ACKS) {
      for (let k = 0; k + 12 <= body.length; k += 12) {
        const a = body.readUInt32LE(k), b = body.readUInt32LE(k + 4), c = body.readUInt32LE(k + 8);
        if (type === MSG_TLS_STREAMS) ix.tlsStreams.setIds(a, b, c);
        else ix.dupAcks.set(a, b * 65536 + c);
      }
      return;
    }
    if (type !== MSG_JSON) return;
    const m = JSON.parse(body.toString()) as IndexMessage;
    if (m.t === 'start') {
      this.totalBytes = m.fileBytes;
      return;
    }
    if (m.t === 'fatal') {
      this.error = m.message;
      this.finishLoading();
      return;
    }
    for (const [id, e] of m.links) ix.addLink(id, e);
    for (const [id, e] of m.apps) ix.addApp(id, e);
    ix.streamCount = m.streamCount;
    ix.count = m.count;
    if (this.incoming !== null) {
      this.index = this.incoming;
      this.incoming = null;
    }
    this.bytesRead = m.bytesRead;
    this.nanosecond = m.nanosecond;
    if (m.error) this.error = m.error;
    if (m.done) this.finishLoading();
    else this.changed();
  }

  private startInProcess(reader: CaptureFileReader, memory: MemoryFrames | null): void {
    this.fileIndexer = new FileIndexer(reader, this.index, this.opts, memory);
    const tick = (): void => {
      this.timer = null;
      if (this.closed) return;
      const fi = this.fileIndexer!;
      const more = fi.step(1 << 30, performance.now() + SLICE_MS);
      fi.indexer.syncVerdicts();
      this.bytesRead = reader.position;
      this.nanosecond = reader.nanosecond;
      if (!more) {
        this.error = fi.error;
        reader.close();
        this.finishLoading();
        return;
      }
      this.changed();
      this.timer = setImmediate(tick);
    };
    this.timer = setImmediate(tick);
  }

  private finishLoading(): void {
    if (!this.loading) return;
    this.loading = false;
    this.loadedAt = performance.now();
    this.changed();
  }

  /** Index a frame captured live (copied into the store's memory). */
  appendLive(frame: CapturedFrame): number {
    const off = (this.frames as AppendableFrames).appendFrame(frame);
    return this.liveIndexer!.add(frame, off);
  }

  /**
   * Live capture: read every packet captured so far again with new options (a key log loaded with
   * K), and go on indexing new ones with them. Packet numbers stay; the rows, the streams' verdicts
   * and every other indexed fact are the new reading's. Runs at once: about a second per million
   * packets. `opts` must be a new object: analyzers keep what they read of a set of options (the
   * key log) per options object.
   */
  reindexLive(opts: MainOptions): void {
    if (this.kind !== 'live' || this.liveIndexer === null) return;
    this.opts = opts;
    const old = this.index;
    const ix = new PacketIndex();
    const indexer = new Indexer(ix, this.opts, null);
    const f = new CapturedFrame();
    for (let i = 0; i < old.count; i++) {
      const c = old.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
      if (!this.frameOf(i, f)) {
        // bytes no longer readable: the packet keeps its place, as an empty frame
        f.buf = EMPTY;
        f.off = 0;
        f.capLen = 0;
      }
      indexer.add(f, c.dataOff[j]);
    }
    indexer.syncVerdicts();
    this.index = ix;
    this.liveIndexer = indexer;
    this.changed();
  }

  /** Tell listeners that live packets were appended (called once per batch, not per packet). */
  notifyAppended(): void {
    this.liveIndexer?.syncVerdicts();
    this.changed();
  }

  /** Live capture ended. */
  endLive(error: string | null = null): void {
    if (error) this.error = error;
    this.liveIndexer?.syncVerdicts();
    this.finishLoading();
  }

  /** The captured bytes of packet i into `out`. */
  frameBytes(i: number, out: FrameRef): boolean {
    const c = this.index.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    return this.frames.read(c.dataOff[j], c.capLen[j], out);
  }

  /** Fill a CapturedFrame with packet i as a source would deliver it (for replaying through a pipeline). */
  frameOf(i: number, f: CapturedFrame): boolean {
    const ix = this.index, c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    if (!this.frames.read(c.dataOff[j], c.capLen[j], this.ref)) return false;
    const link = ix.links[c.link[j]];
    f.buf = this.ref.buf;
    f.off = this.ref.off;
    f.capLen = c.capLen[j];
    f.origLen = c.origLen[j];
    f.tsSec = c.tsSec[j];
    f.tsNsec = c.tsNsec[j];
    f.linkType = link !== undefined ? link.linkType : 0;
    f.ifIndex = link !== undefined ? link.ifIndex : 0;
    f.fileOffset = -1;
    return true;
  }

  /**
   * Re-read packet i, decode it into `d` and restore its analysis results from the index. Enough for
   * its row and colours; `replay` rebuilds application-layer state too. A reader going through many
   * packets passes storage of its own (`frames`), so that it does not evict what the screen shows.
   */
  load(i: number, d: Dissection = this.d, frames: FrameStorage = this.frames): boolean {
    const ix = this.index;
    if (i < 0 || i >= ix.count) return false;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const capLen = c.capLen[j];
    const link = ix.links[c.link[j]];
    if (!frames.read(c.dataOff[j], capLen, this.ref)) {
      decodeFrame(d, Buffer.alloc(0), 0, 0, -1);
      ix.restore(i, d);
      return false;
    }
    decodeFrame(d, this.ref.buf, this.ref.off, capLen, link !== undefined ? link.linkType : 0);
    ix.restore(i, d);
    return true;
  }

  /**
   * The full dissection of packet i, application layers included: the packets of its TCP stream
   * before it (at most MAX_REPLAY of them) run through fresh analyzers, as when the file was read.
   * Returns the Dissection holding it (owned by a throw-away pipeline).
   */
  replay(i: number): Dissection {
    const ix = this.index;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const stream = c.stream[j];
    const pipeline = new Pipeline({ sink: null, analyzers: this.freshAnalyzers() });
    const f = new CapturedFrame();
    if (stream !== NO_STREAM) {
      const before: number[] = [];
      for (let k = i - 1; k >= 0 && before.length < MAX_REPLAY; k--) {
        if (ix.chunks[k >>> CHUNK_BITS].stream[k & CHUNK_MASK] === stream) before.push(k);
      }
      // Each frame keeps its number in the capture: layers note the frame they were read in
      // (HTTP's messages, its request/response links), and the tree asks for this one's.
      for (let n = before.length - 1; n >= 0; n--) {
        pipeline.framesRead = before[n];
        if (this.frameOf(before[n], f)) pipeline.handle(f);
      }
    }
    const d = pipeline.d;
    pipeline.framesRead = i;
    if (this.frameOf(i, f)) pipeline.handle(f);
    else decodeFrame(d, Buffer.alloc(0), 0, 0, -1);
    // Stream numbers, relative numbers and analysis flags as the whole capture saw them.
    ix.restore(i, d);
    return d;
  }

  /**
   * Analyzers as when the file was read, for replaying packets (details, filters). They get a reader
   * of the file that has read up to its first packet, so key logs a pcapng carries at its start
   * (Decryption Secrets Blocks) serve decryption as they did while indexing.
   */
  freshAnalyzers(): Analyzer[] {
    if (this.kind === 'file' && this.secretsReader === null) {
      try {
        this.secretsReader = new CaptureFileReader((this.frames as FileFrames).path, undefined, SMALL_READS);
        this.secretsReader.next(new CapturedFrame());
      } catch {
        // unreadable now: analyzers run without the file's own secrets
      }
    }
    return makeAnalyzers(this.opts, this.secretsReader);
  }

  /** Indices of the packets of a TCP stream, in capture order. */
  streamPackets(stream: number, upTo = this.index.count): number[] {
    const out: number[] = [];
    const ix = this.index;
    for (let ci = 0; ci < ix.chunks.length && ci * (CHUNK_MASK + 1) < upTo; ci++) {
      const col = ix.chunks[ci].stream;
      const base = ci << CHUNK_BITS;
      const n = Math.min(CHUNK_MASK + 1, upTo - base);
      for (let j = 0; j < n; j++) if (col[j] === stream) out.push(base + j);
    }
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    if (this.child) this.child.kill();
    this.child = null;
    this.ring?.close();
    this.ring = null;
    this.fileIndexer?.reader.close();
    this.secretsReader?.close();
    this.frames.close();
  }
}

/**
 * The ring file rows come through from the indexing process: a temporary file, unlinked at once so
 * nothing is left behind whatever happens to either process; -1 when none can be made (rows then
 * come on the pipe).
 */
function openRingFile(): number {
  let dir = '';
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-'));
    const file = path.join(dir, 'rows');
    const fd = createPrivateFile(file);
    fs.unlinkSync(file);
    return fd;
  } catch {
    return -1;
  } finally {
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  }
}
