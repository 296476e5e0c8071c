// Live capture through cap (libpcap). cap copies each packet into one Buffer we hand to open() and
// emits ('packet', nbytes, truncated) on the main thread, one call per packet; it gives no
// timestamp, no original length and no drop counters (native-notes/cap.md). This file turns that
// into CapturedFrames a Pipeline or the UI can use:
//  - the Buffer is held by the LiveCapture, and every open LiveCapture by a module-level set, for as
//    long as libpcap may write into it;
//  - frames are timestamped when cap calls us, from a monotonic clock anchored to the wall clock;
//  - frame.cap_len is what cap copied, cut to -s; frame.len is the same unless libpcap cut the frame
//    at cap's 65535-byte snapshot, when it comes from the IP header's length;
//  - every frame goes first to the capture handler (the -w file, the UI's spool), which is never
//    skipped: what an attacker's expensive packets can slow down is analysis, never the file;
//  - cap drains libpcap's ring in one loop that does not return to the event loop until the ring is
//    empty; an analysis slower than the traffic would never let Ctrl-C or the UI run, so after
//    MAX_BATCH_MS without a pause the rest of that batch is counted ("fell behind") and not analysed;
//  - the kernel's drop counters come from pcap_stats where the cap build has it (scripts/cap-stats.patch).

import { CapturedFrame } from './frame';
import { CapHandle, CapModule, CAP_SNAPLEN, linkTypeFromCap, loadCap } from './cap-binding';
import {
  captureInterfaces,
  checkCaptureInterface,
  checkCapturePermission,
  defaultInterface,
  permissionFix,
  CaptureInterface,
} from './interfaces';
import { LINKTYPE, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD } from '../decode/link';
import { UsageError } from '../errors';

/**
 * Kernel ring size when -B is not given. cap forces immediate mode, in which libpcap uses
 * TPACKET_V2 with fixed slots sized for cap's 65535-byte snapshot (on lo, and on Ethernet with
 * offloads): 128 MiB is about 2000 packets, 20 ms at 100k packets/s. Measured on lo at 100k/s on a
 * busy machine: 32 MiB kept 58-74%, 64 MiB 88%, 128 MiB 99.9% (native-notes/cap.md). libpcap
 * shrinks the ring in 5% steps when the kernel cannot allocate it.
 */
export const DEFAULT_BUFFER_MIB = 128;
/** Longest time the packet loop may keep the event loop before the rest of the batch is skipped. */
export const MAX_BATCH_MS = 250;
// The Buffer cap copies into: larger than cap's snapshot length so cap never reports "truncated".
const PACKET_BUFFER_LEN = CAP_SNAPLEN + 1;
// A capture filter is first compiled on a handle with this small ring, so that a rejected filter
// leaves only a small ring behind (a cap handle whose open() failed can never be closed; see capHandles).
const PROBE_BUFFER_BYTES = 256 * 1024;
const CHECK_CLOCK_EVERY = 64;
// The monotonic clock does not follow steps of the wall clock (NTP, date -s); re-anchor this often.
const REANCHOR_EVERY_MS = 60_000;
// Anchoring the clock: give up improving after this long; stop once the tick is bracketed this tightly.
const ANCHOR_MAX_MS = 20;
const ANCHOR_GOOD_MS = 0.005;

/**
 * Wall-clock time for live frames: one anchor (the moment Date.now() ticks to a new millisecond)
 * plus performance.now(), which is monotonic and has sub-microsecond resolution. Reading it
 * allocates nothing. A tick observation counts only if the reads around it were close together:
 * a process preempted between them (common on a busy machine) would anchor milliseconds off.
 */
export class LiveClock {
  private anchorSec = 0;
  private anchorNsec = 0;
  private anchorPerf = 0;
  /** Width in ms of the interval the anchor tick is known to lie in. */
  anchorUncertaintyMs = Infinity;
  sec = 0;
  nsec = 0;

  constructor() {
    this.reanchor();
  }

  /** Spins for at most ANCHOR_MAX_MS, watching Date.now() tick, and keeps the best-bracketed tick. */
  reanchor(): void {
    const deadline = performance.now() + ANCHOR_MAX_MS;
    let best = Infinity;
    let bestMs = 0;
    let bestPerf = 0;
    while (best > ANCHOR_GOOD_MS && performance.now() < deadline) {
      let prevBefore = performance.now();
      const start = Date.now();
      for (;;) {
        const before = performance.now();
        const ms = Date.now();
        const after = performance.now();
        if (ms !== start) {
          // The tick happened after the previous Date.now() call began and before this one ended.
          const width = after - prevBefore;
          if (width < best) {
            best = width;
            bestMs = ms;
            bestPerf = (prevBefore + after) / 2;
          }
          break;
        }
        prevBefore = before;
      }
    }
    this.anchorSec = Math.floor(bestMs / 1000);
    this.anchorNsec = (bestMs - this.anchorSec * 1000) * 1e6;
    this.anchorPerf = bestPerf;
    this.anchorUncertaintyMs = best;
  }

  /** Sets sec and nsec to now. */
  now(): void {
    const ns = Math.round((performance.now() - this.anchorPerf) * 1e6) + this.anchorNsec;
    const whole = Math.floor(ns / 1e9);
    this.sec = this.anchorSec + whole;
    this.nsec = ns - whole * 1e9;
  }
}

/**
 * Length on the wire of a frame libpcap cut at its snapshot length, from the IP header's own
 * length (IPv4 total length, RFC 791; IPv6 payload length + 40, RFC 8200 §3). Returns capLen when
 * the frame carries no IP header tcpwatch can read, or the header gives no length (TSO, jumbogram).
 */
export function wireLengthOfCutFrame(buf: Buffer, off: number, capLen: number, linkType: number): number {
  let ip = -1;
  let etherType = -1;
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let p = 12;
      while (p + 2 <= capLen) {
        etherType = buf.readUInt16BE(off + p);
        if (etherType !== ETHERTYPE_VLAN && etherType !== ETHERTYPE_QINQ && etherType !== ETHERTYPE_QINQ_OLD) break;
        p += 4;
      }
      ip = p + 2;
      break;
    }
    case LINKTYPE.LINUX_SLL:
      if (capLen >= 16) etherType = buf.readUInt16BE(off + 14);
      ip = 16;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (capLen >= 20) etherType = buf.readUInt16BE(off);
      ip = 20;
      break;
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      ip = 0;
      break;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      ip = 4;
      break;
    default:
      return capLen;
  }
  if (ip < 0 || ip + 8 > capLen) return capLen;
  const version = buf[off + ip] >> 4;
  if (etherType !== -1 && etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return capLen;
  if (version === 4) {
    const total = buf.readUInt16BE(off + ip + 2);
    return total === 0 ? capLen : Math.max(capLen, ip + total);
  }
  if (version === 6) {
    const payload = buf.readUInt16BE(off + ip + 4);
    return payload === 0 ? capLen : Math.max(capLen, ip + 40 + payload);
  }
  return capLen;
}

export interface LiveCaptureOptions {
  device: string;
  /** Capture filter (BPF) as libpcap compiles it; empty or undefined for none. */
  filter?: string;
  /** Cut frames to this many bytes (-s); cap itself always captures up to 65535. */
  snaplen?: number;
  /** Kernel ring size in MiB (-B). */
  bufferSizeMiB?: number;
  /** The device is a loopback interface (its packets reach the kernel's counters twice). */
  loopback?: boolean;
}

/** What the kernel counted for a capture since it was opened, in packets. */
export interface KernelStats {
  /** Packets that passed the capture filter, those dropped included. */
  received: number;
  /** Packets the kernel dropped because the ring was full (tcpwatch did not read it in time). */
  dropped: number;
  /** Packets the interface itself dropped (libpcap reads the interface's counter). */
  ifdropped: number;
}

/** Called synchronously for a frame; the frame and its bytes are valid only during the call. */
export type LiveFrameHandler = (frame: CapturedFrame) => void;

// Every LiveCapture between open and close. This set, not the caller, is what keeps the packet
// Buffer alive: a caller that drops its reference to a running capture must not free the memory
// libpcap writes into (the crash that native-notes/cap.md describes).
const openCaptures = new Set<LiveCapture>();
// Every cap handle ever created, kept reachable for the life of the process, closed or not,
// because cap's C++ destructor is unsafe to run (native-notes/cap.md, "Handles must never be
// collected"): it destroys its async resource from inside the garbage collector (SIGSEGV in
// AsyncWrap::EmitDestroy, seen in the stress test), frees a uv_poll_t that is still linked into
// libuv's handle queue (it is stopped, never uv_close()d), and after a failed open() it calls
// uv_poll_stop on a poll handle that was never initialised (abort). A handle costs a few hundred
// bytes; a process opens a handful.
const capHandles: CapHandle[] = [];

export class LiveCapture {
  readonly linkType: number;
  /** Frames cap delivered. */
  framesReceived = 0;
  /** Frames cap delivered that were captured but not analysed, because analysis fell behind. */
  framesSkipped = 0;
  /** Times a batch ran longer than MAX_BATCH_MS. */
  fallBehindEpisodes = 0;
  readonly snaplen: number;
  readonly clock = new LiveClock();
  private readonly frame = new CapturedFrame();
  // Held for the life of the capture: libpcap writes every packet here through a raw pointer.
  private readonly packetBuffer: Buffer = Buffer.alloc(PACKET_BUFFER_LEN);
  private readonly handle: CapHandle;
  private closed = false;
  private inBatch = false;
  private batchStart = 0;
  private skipping = false;
  private onBatchEnd: (() => void) | null = null;
  private readonly reanchorTimer: NodeJS.Timeout;
  private readonly loopback: boolean;
  private lastStats: KernelStats | null = null;

  private constructor(
    cap: CapModule,
    readonly device: string,
    readonly filter: string,
    opts: LiveCaptureOptions,
    private readonly captured: LiveFrameHandler,
    private readonly analyze: LiveFrameHandler | null,
  ) {
    this.snaplen = opts.snaplen !== undefined && opts.snaplen < CAP_SNAPLEN ? opts.snaplen : CAP_SNAPLEN;
    this.loopback = opts.loopback ?? false;
    const bufferBytes = Math.min(2047, opts.bufferSizeMiB ?? DEFAULT_BUFFER_MIB) * 1024 * 1024;
    if (filter !== '') {
      // Compile the filter on a small ring first: if libpcap rejects it, only that handle leaks.
      const probe = openHandle(cap, device, filter, PROBE_BUFFER_BYTES, Buffer.alloc(PACKET_BUFFER_LEN));
      probe.handle.close();
    }
    const opened = openHandle(cap, device, filter, bufferBytes, this.packetBuffer);
    this.handle = opened.handle;
    this.linkType = opened.linkType;
    this.frame.buf = this.packetBuffer;
    this.frame.linkType = this.linkType;
    openCaptures.add(this);
    this.handle.on('packet', this.onPacket);
    this.reanchorTimer = setInterval(() => this.clock.reanchor(), REANCHOR_EVERY_MS);
    this.reanchorTimer.unref();
  }

  /**
   * Open DEVICE (already checked) with cap; UsageError for what libpcap refuses. `captured` sees
   * every frame cap delivers (write it there); `analyze`, when given, sees it next, unless analysis
   * has fallen behind in this batch.
   */
  static open(opts: LiveCaptureOptions, captured: LiveFrameHandler, analyze: LiveFrameHandler | null = null, cap: CapModule = loadCap()): LiveCapture {
    return new LiveCapture(cap, opts.device, opts.filter ?? '', opts, captured, analyze);
  }

  /** Called once after each batch of packets, when cap's loop has returned to the event loop. */
  setBatchEndHandler(fn: (() => void) | null): void {
    this.onBatchEnd = fn;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether this cap build reports the kernel's counters (scripts/cap-stats.patch). */
  get hasKernelStats(): boolean {
    return typeof this.handle.stats === 'function';
  }

  /**
   * The kernel's counters since open, or null when this cap build has no pcap_stats. After close,
   * the last counters read (close reads them first). On a loopback interface every packet passes
   * the packet socket twice (sent and received; libpcap discards the sent copy itself), so the
   * kernel counts each packet, and each packet lost to a full ring, twice: halved here, rounded up
   * (exact but for one packet per episode of drops, whose two copies can fall on either side of a
   * free slot).
   */
  kernelStats(): KernelStats | null {
    if (this.closed || !this.hasKernelStats) return this.lastStats;
    let raw: { received: number; dropped: number; ifdropped: number };
    try {
      raw = this.handle.stats!();
    } catch {
      return this.lastStats;
    }
    const k = this.loopback ? 2 : 1;
    this.lastStats = { received: Math.ceil(raw.received / k), dropped: Math.ceil(raw.dropped / k), ifdropped: raw.ifdropped };
    return this.lastStats;
  }

  /** Stops the capture. Safe inside the frame handler: cap finishes the current packet and stops. */
  close(): void {
    if (this.closed) return;
    this.kernelStats();
    this.closed = true;
    clearInterval(this.reanchorTimer);
    this.handle.close();
    this.handle.removeAllListeners('packet');
    openCaptures.delete(this);
  }

  private readonly endBatch = (): void => {
    this.inBatch = false;
    this.skipping = false;
    if (this.onBatchEnd !== null) this.onBatchEnd();
  };

  private readonly onPacket = (nbytes: number, truncated: boolean): void => {
    if (this.closed) return;
    this.framesReceived++;
    const clock = this.clock;
    clock.now();
    if (!this.inBatch) {
      // setImmediate runs after the poll phase, i.e. once cap's drain loop has returned.
      this.inBatch = true;
      this.batchStart = performance.now();
      setImmediate(this.endBatch);
    } else if ((this.framesReceived & (CHECK_CLOCK_EVERY - 1)) === 0 && !this.skipping &&
      performance.now() - this.batchStart > MAX_BATCH_MS) {
      this.skipping = true;
      this.fallBehindEpisodes++;
    }
    const f = this.frame;
    f.tsSec = clock.sec;
    f.tsNsec = clock.nsec;
    f.capLen = nbytes < this.snaplen ? nbytes : this.snaplen;
    // cap copies min(caplen, buffer length); our buffer is longer than any caplen, so "truncated"
    // never happens, and a frame cut by libpcap arrives as exactly CAP_SNAPLEN bytes.
    f.origLen = nbytes >= CAP_SNAPLEN || truncated ? wireLengthOfCutFrame(this.packetBuffer, 0, nbytes, this.linkType) : nbytes;
    this.captured(f);
    if (this.analyze === null || this.closed) return;
    if (this.skipping) {
      this.framesSkipped++;
      return;
    }
    this.analyze(f);
  };
}

/** Open count (for tests and diagnostics). */
export function openCaptureCount(): number {
  return openCaptures.size;
}

function openHandle(cap: CapModule, device: string, filter: string, bufferBytes: number, buffer: Buffer): { handle: CapHandle; linkType: number } {
  const handle = new cap.Cap();
  capHandles.push(handle);
  let linkName: string;
  try {
    linkName = handle.open(device, filter, bufferBytes, buffer);
  } catch (e) {
    throw openError(device, filter, String((e as Error).message ?? e));
  }
  const linkType = linkTypeFromCap(linkName);
  if (linkType < 0) {
    handle.close();
    throw new UsageError(`${device}: link type "${linkName}" is not one tcpwatch can decode`);
  }
  return { handle, linkType };
}

/** libpcap's error for an open, as one line that says what to do. */
function openError(device: string, filter: string, message: string): UsageError {
  // pcap_activate's failures come first (permission, device, state); cap's own "Unable to set …"
  // is a libpcap option it could not set; anything after activation is pcap_compile/pcap_setfilter.
  if (/Operation not permitted|permission/i.test(message)) {
    return new UsageError(`no permission to capture on ${device} (${message}): ${permissionFix()}`);
  }
  if (/No such device/i.test(message)) return new UsageError(`no interface named "${device}" (${message}); tcpwatch -D lists them`);
  if (/not up/i.test(message)) return new UsageError(`interface ${device} is down (${message}): bring it up (ip link set ${device} up) or capture on another`);
  if (filter !== '' && !/^Unable to set/.test(message)) {
    return new UsageError(`capture filter "${filter}" rejected by libpcap: ${message}`);
  }
  return new UsageError(`cannot capture on ${device}: ${message || 'libpcap gave no reason'}`);
}

export interface ResolvedDevice {
  cap: CapModule;
  iface: CaptureInterface;
}

/** Loads cap, picks -i (or the default interface) and checks it exists, is up and may be captured on. */
export function resolveCaptureDevice(requested: string | undefined): ResolvedDevice {
  const cap = loadCap();
  let devices;
  try {
    devices = cap.Cap.deviceList();
  } catch (e) {
    throw new UsageError(`cannot list interfaces: ${(e as Error).message}`);
  }
  const list = captureInterfaces(devices);
  let iface: CaptureInterface;
  if (requested === undefined) {
    const d = defaultInterface(list);
    if (d === null) throw new UsageError('no interface is up with an address: name one with -i (tcpwatch -D lists them)');
    iface = d;
  } else {
    iface = checkCaptureInterface(requested, list);
  }
  checkCapturePermission(iface.name);
  return { cap, iface };
}
