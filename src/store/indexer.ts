// Indexing: each frame goes through the same pipeline as headless output (decode, TCP streams,
// every analyzer a feature module registered), then its results are appended to the PacketIndex.
// The same code runs in the indexing worker (files) and on the UI thread (live capture, stdin).

import { CaptureFileReader, CaptureFileError } from '../capture/file-reader';
import { CapturedFrame } from '../capture/frame';
import { Pipeline, DisplayFilter } from '../pipeline';
import { MainOptions, makeAnalyzers } from '../hooks';
import { PacketIndex } from './packet-index';
import { MemoryFrames } from './frames';
import { verdictsOf, withVerdicts } from '../reports/verdict';

const NO_ROWS = new Float64Array(0);

export class Indexer {
  readonly pipeline: Pipeline;
  /** Whether syncVerdicts also keeps the verdicts in this index (not when another process keeps them). */
  mirrorVerdicts = true;

  constructor(readonly index: PacketIndex, opts: MainOptions, reader: CaptureFileReader | null) {
    // The UI shows each stream's verdict (conversations table), whatever the options ask of headless output.
    this.pipeline = new Pipeline({ sink: null, analyzers: withVerdicts(makeAnalyzers(opts, reader)) });
  }

  /** Analyse and index one frame whose bytes are kept at dataOff; returns its packet index. */
  add(frame: CapturedFrame, dataOff: number): number {
    this.pipeline.handle(frame);
    return this.index.append(this.pipeline.d, dataOff);
  }

  /**
   * Move the stream verdicts that changed since the last call into the index (once per batch: a
   * verdict's entropy is worked out from 256 counters); returns them as rows for another process.
   */
  syncVerdicts(): Float64Array {
    const a = verdictsOf(this.pipeline.d);
    if (a === undefined) return NO_ROWS;
    const rows = a.drainChanged();
    if (this.mirrorVerdicts) this.index.verdicts.apply(rows);
    return rows;
  }

  /** The live display filter's verdict on the frame just added (the pipeline's Dissection is still filled). */
  test(filter: DisplayFilter): boolean {
    return filter(this.pipeline.d);
  }
}

/**
 * Reads a capture file and indexes it in batches. `step` indexes until the deadline and returns
 * false once the file has ended (or is damaged: `error` then says where).
 */
export class FileIndexer {
  readonly indexer: Indexer;
  private readonly frame = new CapturedFrame();
  done = false;
  error: string | null = null;
  /** -c: the file ends, for the UI, after this many packets (0: no limit), as it does headless. */
  private readonly limit: number;

  /** `memory` is given when the source cannot be read back by offset (standard input). */
  constructor(readonly reader: CaptureFileReader, index: PacketIndex, opts: MainOptions, readonly memory: MemoryFrames | null) {
    this.indexer = new Indexer(index, opts, reader);
    this.limit = opts.count ?? 0;
  }

  step(maxFrames: number, deadlineMs: number): boolean {
    if (this.done) return false;
    const r = this.reader, f = this.frame, mem = this.memory, index = this.indexer.index;
    for (let n = 0; n < maxFrames; n++) {
      if (this.limit > 0 && index.count >= this.limit) {
        this.done = true;
        return false;
      }
      let more: boolean;
      try {
        more = r.next(f);
      } catch (e) {
        if (!(e instanceof CaptureFileError)) throw e;
        this.error = e.message;
        more = false;
      }
      if (!more) {
        this.done = true;
        return false;
      }
      const dataOff = mem !== null ? mem.append(f.buf, f.off, f.capLen) : r.dataOffset(f);
      this.indexer.add(f, dataOff);
      if ((n & 1023) === 1023 && performance.now() > deadlineMs) break;
    }
    return true;
  }
}
