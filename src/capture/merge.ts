// A capture on several interfaces at once (-i repeated, local and remote mixed): each interface is
// captured as on its own (LiveCapture, RemoteCapture), its frames numbered with its interface id
// (its place among the -i), and the frames of all of them handed on in timestamp order.
//
// Order needs waiting: a remote tcpdump hands packets over up to a second after it captured them
// (its ring's block timeout) plus the path's delay, so a frame is held until every interface has a
// later one, or until it has waited longer than any interface can be late (MAX_WAIT_*). A frame
// that arrives later still (a link stalled for longer) is handed on at once, out of order, rather
// than held without bound. Frames are copied while they wait (the sources reuse their buffers);
// what waits is bounded by MAX_HELD_BYTES, past which the oldest frames leave early.

import { CapturedFrame } from './frame';
import { LiveCapture, KernelStats, resolveCaptureDevice, MAX_BATCH_MS } from './live';
import { RemoteCapture, isRemoteInterface, RemoteCaptureOptions, MAX_ANALYSIS_LAG_MS } from './remote';
import { setInterfaceName } from './interface-names';
import type { DeclaredInterface } from './file-writer';

/** Longest a frame waits for the other interfaces when one of them is remote (tcpdump's 1 s block timeout, and the path). */
const MAX_WAIT_REMOTE_MS = 1_500;
/** When all are local, frames reach tcpwatch within a batch of each other. */
const MAX_WAIT_LOCAL_MS = 50;
/** How often frames that have waited long enough are looked at. */
const DRAIN_EVERY_MS = 25;
const MAX_HELD_BYTES = 64 * 1024 * 1024;

type Source = LiveCapture | RemoteCapture;

interface Held {
  buf: Buffer;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  linkType: number;
  arrived: number;
}

/** What one interface of a merged capture has counted so far. */
export interface InterfaceCounts {
  name: string;
  received: number;
  kernel: KernelStats | null;
}

/** "eth0 120 (0 dropped), ssh://db1/eth0 57": the closing line's per-interface part. */
export function formatInterfaceCounts(list: InterfaceCounts[]): string {
  return list.map((c) => `${c.name} ${c.received}${c.kernel !== null ? ` (${c.kernel.dropped} dropped)` : ''}`).join(', ');
}

/** How one interface of a merged capture is opened: local, or remote through ssh. */
export interface MergedInterface {
  name: string;
  remote: RemoteCaptureOptions | null;
  filter: string;
  snaplen?: number;
  bufferSizeMiB?: number;
}

export class MergedCapture {
  readonly sources: Source[] = [];
  readonly closed: Promise<void>;
  private resolveClosed: () => void = () => {};
  private readonly queues: Held[][] = [];
  private readonly heads: number[] = [];
  private readonly out = new CapturedFrame();
  private held = 0;
  private maxWait = MAX_WAIT_LOCAL_MS;
  private timer: NodeJS.Timeout | null = null;
  private onBatchEnd: (() => void) | null = null;
  private onEnd: (() => void) | null = null;
  private closing = false;
  private lastSec = 0;
  private lastNsec = 0;
  /** Frames handed on earlier than one already handed on (an interface later than MAX_WAIT). */
  outOfOrder = 0;

  private constructor(
    readonly names: string[],
    private readonly captured: (f: CapturedFrame) => void,
    private readonly analyze: ((f: CapturedFrame) => void) | null,
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
  }

  /** Opens every interface in turn; if one fails, those already open are closed and its error thrown. */
  static async open(list: MergedInterface[], captured: (f: CapturedFrame) => void, analyze: ((f: CapturedFrame) => void) | null): Promise<MergedCapture> {
    const m = new MergedCapture(list.map((i) => i.name), captured, analyze);
    try {
      for (let i = 0; i < list.length; i++) {
        const it = list[i];
        m.queues.push([]);
        m.heads.push(0);
        setInterfaceName(i, it.name);
        const onFrame = (f: CapturedFrame): void => m.arrive(i, f);
        if (it.remote !== null) {
          m.maxWait = MAX_WAIT_REMOTE_MS;
          const rc = await RemoteCapture.open(it.remote, onFrame);
          rc.setEndHandler(() => m.onEnd?.());
          m.sources.push(rc);
        } else {
          const { iface } = resolveCaptureDevice(it.name);
          m.sources.push(LiveCapture.open({ device: iface.name, filter: it.filter, snaplen: it.snaplen, bufferSizeMiB: it.bufferSizeMiB, loopback: iface.loopback }, onFrame));
        }
      }
    } catch (e) {
      for (const s of m.sources) s.close();
      throw e;
    }
    m.timer = setInterval(() => m.drain(false), DRAIN_EVERY_MS);
    return m;
  }

  /** The interfaces as a pcapng file declares them, in -i order. */
  get interfaces(): DeclaredInterface[] {
    return this.sources.map((s, i) => ({ linkType: s.linkType, name: this.names[i] }));
  }

  get linkType(): number {
    return this.sources[0].linkType;
  }

  get snaplen(): number {
    return Math.max(...this.sources.map((s) => s.snaplen));
  }

  get framesReceived(): number {
    return this.sources.reduce((n, s) => n + s.framesReceived, 0);
  }

  /** Frames captured (and written) but not analysed, because analysis fell behind. */
  framesSkipped = 0;
  // As one interface's capture does (live.ts, remote.ts): analysis is skipped, never the capture
  // handler, while a run of frames keeps the event loop longer than MAX_BATCH_MS, or while frames
  // are handed on much later than they arrived (a remote stream backing up behind analysis).
  private batchStart = -1;
  private skipping = false;
  private readonly lagBase: number[] = [];
  private readonly endBatch = (): void => {
    this.batchStart = -1;
    this.skipping = false;
  };

  /** The first failure of a remote interface, named. */
  get failure(): string | null {
    for (const s of this.sources) if (s instanceof RemoteCapture && s.failure !== null) return s.failure;
    return null;
  }

  /** The kernels' counters added up, or null when no interface reports them. */
  kernelStats(): KernelStats | null {
    let any = false;
    const sum: KernelStats = { received: 0, dropped: 0, ifdropped: 0 };
    for (const s of this.sources) {
      const k = s.kernelStats();
      if (k === null) continue;
      any = true;
      sum.received += k.received;
      sum.dropped += k.dropped;
      sum.ifdropped += k.ifdropped;
    }
    return any ? sum : null;
  }

  get hasKernelStats(): boolean {
    return this.sources.some((s) => s.hasKernelStats);
  }

  /** Each interface's packets and kernel counters, in -i order. */
  interfaceCounts(): InterfaceCounts[] {
    return this.sources.map((s, i) => ({ name: this.names[i], received: s.framesReceived, kernel: s.kernelStats() }));
  }

  /** Per interface, for the closing line: name, packets, and the kernel's drops where known. */
  perInterface(): string {
    return formatInterfaceCounts(this.interfaceCounts());
  }

  setBatchEndHandler(fn: (() => void) | null): void {
    this.onBatchEnd = fn;
  }

  setEndHandler(fn: (() => void) | null): void {
    this.onEnd = fn;
  }

  begin(): void {
    for (const s of this.sources) if (s instanceof RemoteCapture) s.begin();
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    for (const s of this.sources) s.close();
    void Promise.all(this.sources.map((s) => (s instanceof RemoteCapture ? s.closed : Promise.resolve()))).then(() => {
      if (this.timer !== null) clearInterval(this.timer);
      this.drain(true);
      this.resolveClosed();
    });
  }

  private arrive(i: number, f: CapturedFrame): void {
    const buf = Buffer.allocUnsafe(f.capLen);
    f.buf.copy(buf, 0, f.off, f.off + f.capLen);
    this.queues[i].push({ buf, tsSec: f.tsSec, tsNsec: f.tsNsec, origLen: f.origLen, linkType: f.linkType, arrived: performance.now() });
    this.held += f.capLen;
    this.drain(false);
  }

  /** Hands on, oldest first, every frame no interface can still precede (all of them when `all`). */
  private drain(all: boolean): void {
    const now = performance.now();
    let handed = 0;
    for (;;) {
      let best = -1;
      let waiting = false;
      for (let i = 0; i < this.queues.length; i++) {
        const q = this.queues[i];
        if (this.heads[i] >= q.length) {
          waiting = true;
          continue;
        }
        const h = q[this.heads[i]];
        if (best < 0) best = i;
        else {
          const b = this.queues[best][this.heads[best]];
          if (h.tsSec < b.tsSec || (h.tsSec === b.tsSec && h.tsNsec < b.tsNsec)) best = i;
        }
      }
      if (best < 0) break;
      const h = this.queues[best][this.heads[best]];
      // An interface with nothing queued may still deliver an older frame, unless this one has waited long enough.
      if (waiting && !all && now - h.arrived < this.maxWait && this.held <= MAX_HELD_BYTES) break;
      this.heads[best]++;
      if (this.heads[best] > 1024 && this.heads[best] * 2 > this.queues[best].length) {
        this.queues[best] = this.queues[best].slice(this.heads[best]);
        this.heads[best] = 0;
      }
      this.held -= h.buf.length;
      this.handOn(best, h);
      handed++;
    }
    if (handed > 0 && this.onBatchEnd !== null) this.onBatchEnd();
  }

  private handOn(i: number, h: Held): void {
    const f = this.out;
    f.buf = h.buf;
    f.off = 0;
    f.capLen = h.buf.length;
    f.origLen = h.origLen;
    f.tsSec = h.tsSec;
    f.tsNsec = h.tsNsec;
    f.linkType = h.linkType;
    f.ifIndex = i;
    if (h.tsSec < this.lastSec || (h.tsSec === this.lastSec && h.tsNsec < this.lastNsec)) this.outOfOrder++;
    else {
      this.lastSec = h.tsSec;
      this.lastNsec = h.tsNsec;
    }
    this.captured(f);
    if (this.analyze === null) return;
    const now = performance.now();
    if (this.batchStart < 0) {
      this.batchStart = now;
      setImmediate(this.endBatch);
    }
    const lag = Date.now() - (h.tsSec * 1000 + h.tsNsec / 1e6);
    if (!(lag >= (this.lagBase[i] ?? Infinity))) this.lagBase[i] = lag;
    if (!this.skipping && (now - this.batchStart > MAX_BATCH_MS || lag - this.lagBase[i] > MAX_ANALYSIS_LAG_MS + this.maxWait)) this.skipping = true;
    if (this.skipping) {
      this.framesSkipped++;
      return;
    }
    this.analyze(f);
  }
}

/** How each -i of a capture on several is opened. */
export function mergedInterfaces(names: string[], filter: string, snaplen: number | undefined, bufferSizeMiB: number | undefined, remoteFor: (name: string) => RemoteCaptureOptions): MergedInterface[] {
  return names.map((name) => ({ name, remote: isRemoteInterface(name) ? remoteFor(name) : null, filter, snaplen, bufferSizeMiB }));
}
