// A capture pipeline: frames from a source are decoded into one reused Dissection, analysed
// (TCP streams, TLS), optionally written with -w, filtered, and handed to a sink. The same
// pipeline serves files and live capture, headless output and the UI.

import { CapturedFrame } from './capture/frame';
import { CaptureWriter } from './capture/file-writer';
import { Dissection } from './decode/dissection';
import { decodeFrame } from './decode/decoder';
import { TcpStreamTable } from './analysis/streams';
import { ReassemblyOptions } from './analysis/reassembly';
import { Sink } from './output/sinks';

export type DisplayFilter = (d: Dissection) => boolean;

/** Per-frame analysis stages after decoding (TCP streams, TLS records); run in order, for every frame. */
export interface Analyzer {
  analyze(d: Dissection): void;
}

export interface PipelineOptions {
  sink: Sink | null;
  filter?: DisplayFilter | null;
  writer?: CaptureWriter | null;
  /** Stop after this many frames have been read (-c); 0 = no limit. */
  maxFrames?: number;
  analyzers?: Analyzer[];
  /** TCP stream reassembly settings (memory cap per stream). */
  reassembly?: ReassemblyOptions;
  /**
   * False when nothing asked for needs conversation state (only header fields with -T fields):
   * frames are then decoded but not analysed, which is most of the cost of a headless run.
   */
  analyse?: boolean;
  /**
   * -2 -R: for each frame number read, its number among the frames the read filter kept in the first
   * pass (0: dropped). Every frame is still analysed, as tshark's first pass saw them all, but a dropped
   * one reaches neither the display filter nor the sink; a kept one keeps its read-order d.number, and
   * is shown under its new one (fields/frame-numbers.ts).
   */
  keptNumbers?: Uint32Array | null;
}

/**
 * Where the two lines about the ceiling of TCP state go: stderr, unless a UI that owns the terminal
 * takes them to say after it has closed (setStateCeilingReporter).
 */
export interface StateCeilingReporter {
  /** A pipeline's table reached the ceiling (its retiredConnections go on counting). */
  reached(line: string, streams: TcpStreamTable): void;
  /** How many connections a pipeline forgot, when it ends. */
  forgotten(count: number, line: string): void;
}
let ceilingReporter: StateCeilingReporter = {
  reached: (line) => process.stderr.write(line + '\n'),
  forgotten: (_count, line) => process.stderr.write(line + '\n'),
};
/** The closing line: how many connections were forgotten at the ceiling. */
export function forgottenLine(n: number): string {
  return `tcpwatch: ${n} TCP connection${n === 1 ? '' : 's'} forgotten at the --state-budget ceiling`;
}
export function setStateCeilingReporter(r: StateCeilingReporter): void {
  ceilingReporter = r;
}

export class Pipeline {
  readonly d = new Dissection();
  readonly streams: TcpStreamTable;
  framesRead = 0;
  framesShown = 0;
  /** Whether the last frame passed the display filter. */
  lastShown = false;
  private readonly analyzers: Analyzer[];
  private haveFirst = false;
  private keptTsSec = 0;
  private keptTsNsec = 0;

  constructor(private readonly opts: PipelineOptions) {
    this.streams = new TcpStreamTable(opts.reassembly);
    // A flood of connections reaches the ceiling of TCP state: said once when it happens, and
    // counted at the end (end()), never an out-of-memory failure.
    this.streams.onCeiling = () => {
      ceilingReporter.reached(`tcpwatch: TCP conversation state reached its ceiling (--state-budget, ${this.streams.maxConnections} connections at a time): ` +
        'the least recently active connections are forgotten, and a later packet of one starts a new tcp.stream', this.streams);
    };
    this.analyzers = opts.analyse === false ? [] : [this.streams, ...(opts.analyzers ?? [])];
  }

  /** Process one frame; returns false once -c has been reached. */
  handle(f: CapturedFrame): boolean {
    const d = this.d;
    const prevSec = d.tsSec, prevNsec = d.tsNsec;
    // Numbered before decoding: what a decode step learns (a DNS answer's names) says which frame taught it.
    d.number = ++this.framesRead;
    decodeFrame(d, f.buf, f.off, f.capLen, f.linkType);
    d.origLen = f.origLen;
    d.tsSec = f.tsSec;
    d.tsNsec = f.tsNsec;
    d.ifIndex = f.ifIndex;
    if (!this.haveFirst) {
      this.haveFirst = true;
      d.firstTsSec = f.tsSec;
      d.firstTsNsec = f.tsNsec;
      d.prevTsSec = f.tsSec;
      d.prevTsNsec = f.tsNsec;
    } else {
      d.prevTsSec = prevSec;
      d.prevTsNsec = prevNsec;
    }
    for (let i = 0; i < this.analyzers.length; i++) this.analyzers[i].analyze(d);
    const max = this.opts.maxFrames ?? 0;
    const kept = this.opts.keptNumbers;
    if (kept) {
      const n = d.number < kept.length ? kept[d.number] : 0;
      if (n === 0) {
        this.lastShown = false;
        return max === 0 || this.framesRead < max;
      }
      // The dropped frames are not in the capture tshark's second pass reads: the delta is to the last
      // kept one, none before the first; the second kept frame's is to frame 1, whose time tshark
      // finds at its reference, the first frame read.
      if (n === 1) {
        d.prevTsSec = d.tsSec;
        d.prevTsNsec = d.tsNsec;
      } else if (n === 2) {
        d.prevTsSec = d.firstTsSec;
        d.prevTsNsec = d.firstTsNsec;
      } else {
        d.prevTsSec = this.keptTsSec;
        d.prevTsNsec = this.keptTsNsec;
      }
      this.keptTsSec = d.tsSec;
      this.keptTsNsec = d.tsNsec;
    }
    const pass = !this.opts.filter || this.opts.filter(d);
    this.lastShown = pass;
    if (pass) {
      this.framesShown++;
      if (this.opts.writer) this.opts.writer.write(f);
      if (this.opts.sink) this.opts.sink.frame(d);
    }
    return max === 0 || this.framesRead < max;
  }

  end(): void {
    const retired = this.streams.retiredConnections;
    if (retired > 0) ceilingReporter.forgotten(retired, forgottenLine(retired));
    this.opts.sink?.end();
    this.opts.writer?.close();
  }
}
