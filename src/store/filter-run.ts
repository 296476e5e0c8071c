// A display filter over the whole store, run incrementally: each step re-reads a slice of packets,
// sends them through a fresh pipeline (so TCP and TLS state is built exactly as when the file was
// read, and every field a filter can name is there) and keeps the indices that pass. The list shows
// matches as they come; typing a new expression cancels the run. It keeps up with packets that
// arrive later (live capture, a file still being indexed). Steps are short slices (the UI gives each
// a deadline and yields to the event loop between them), so keys and signals are answered while a
// filter runs over the whole capture.

import { CapturedFrame } from '../capture/frame';
import { DisplayFilter, Pipeline } from '../pipeline';
import { PacketStore } from './packet-store';
import { FileFrames, FrameRef } from './frames';
import { Dissection } from '../decode/dissection';
import { CHUNK_BITS, CHUNK_MASK } from './columns';

/** Growable list of packet indices. */
export class IndexList {
  private a = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  get(i: number): number {
    return this.a[i];
  }

  /** Position of the first entry >= v (entries are ascending). */
  lowerBound(v: number): number {
    let lo = 0, hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The store's packets in order through a fresh pipeline, so each one's dissection has the TCP and
 * TLS state built exactly as when the file was read (display filters and colouring rules read it).
 */
export class StoreReplay {
  private readonly pipeline: Pipeline;
  private readonly frame = new CapturedFrame();
  private readonly ref = new FrameRef();
  // Sequential reading gets its own block cache so a replay does not evict what the screen shows.
  private readonly ownFrames: FileFrames | null;

  constructor(readonly store: PacketStore) {
    this.pipeline = new Pipeline({ sink: null, analyzers: store.freshAnalyzers() });
    this.ownFrames = store.kind === 'file' ? new FileFrames((store.frames as FileFrames).path) : null;
  }

  /** Packet i, which must follow the one before: its dissection (valid until the next call). */
  next(i: number): Dissection {
    const store = this.store, ix = store.index, f = this.frame;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const link = ix.links[c.link[j]];
    const ok = this.ownFrames !== null
      ? this.ownFrames.read(c.dataOff[j], c.capLen[j], this.ref)
      : store.frames.read(c.dataOff[j], c.capLen[j], this.ref);
    f.buf = ok ? this.ref.buf : Buffer.alloc(0);
    f.off = ok ? this.ref.off : 0;
    f.capLen = ok ? c.capLen[j] : 0;
    f.origLen = c.origLen[j];
    f.tsSec = c.tsSec[j];
    f.tsNsec = c.tsNsec[j];
    f.linkType = link !== undefined ? link.linkType : 0;
    f.ifIndex = link !== undefined ? link.ifIndex : 0;
    this.pipeline.handle(f);
    return this.pipeline.d;
  }

  close(): void {
    this.ownFrames?.close();
  }
}

export class FilterRun {
  readonly matches = new IndexList();
  /** Packets tested so far (all indices below this have been decided). */
  scanned = 0;
  cancelled = false;
  private readonly replay: StoreReplay;

  constructor(readonly store: PacketStore, readonly expression: string, readonly filter: DisplayFilter) {
    this.replay = new StoreReplay(store);
  }

  /** True once every packet the store will ever have has been tested. */
  get done(): boolean {
    return !this.store.loading && this.scanned >= this.store.count;
  }

  /** Test packets until the deadline (performance.now() milliseconds); returns true if anything was tested. */
  step(deadlineMs: number): boolean {
    if (this.cancelled) return false;
    const filter = this.filter;
    const end = this.store.count;
    const start = this.scanned;
    let i = start;
    for (; i < end; i++) {
      if (filter(this.replay.next(i))) this.matches.push(i);
      // The clock is read after every packet: one evaluation is bounded (a `matches` has its
      // step budget, src/filter/regex.ts) but can take tens of milliseconds, and a slice that
      // waited for 256 of them would hold keys, Ctrl-C and signals for seconds. performance.now()
      // costs well under a microsecond; a packet through the pipeline costs several.
      if (performance.now() > deadlineMs) {
        i++;
        break;
      }
    }
    this.scanned = i;
    if (this.done) this.release();
    return i > start;
  }

  cancel(): void {
    this.cancelled = true;
    this.release();
  }

  private release(): void {
    this.replay.close();
  }
}
