// The capture process of the live UI, as termshark runs dumpcap: it does nothing but read libpcap's
// ring, write every frame to the spool file the UI reads (and to the -w file), and tell the UI how
// far the spool holds whole records and what the kernel counted. The UI's thread has bursts of
// work (garbage collection, drawing, replaying a stream for the details pane) that kept it from
// reading the ring for seconds at a time on a busy machine, and the ring overflowed; this process
// has no such work, so a stalled UI only falls behind in its reading of the spool, which loses
// nothing (native-notes/long-runs.md).
//
// Started by src/capture/capture-process.ts with the options as JSON in argv[2], the spool file
// open on fd 3 and an IPC channel. It opens the device, gives up root (privileges.ts) before the -w file is
// created, as headless capture does, and stops cleanly on a "stop" message, on SIGINT, SIGTERM or
// SIGHUP, when the UI goes away (the channel closes), at -c, or when -w cannot be written.

import * as fs from 'node:fs';
import { CapturedFrame } from './frame';
import { LiveCapture, KernelStats, DEFAULT_BUFFER_MIB } from './live';
import { RemoteCapture, RemoteCaptureOptions } from './remote';
import { MergedCapture, MergedInterface, InterfaceCounts } from './merge';
import { CaptureWriter, CaptureWriteError, formatNamed } from './file-writer';
import { openCaptureOutput, parseAutostopOptions, parseRingOptions, RingWriter, RING_TICK_MS } from './ring-writer';
import { Account, dropPrivilegesOrExplain, explainWriteAs } from './privileges';
import { SPOOL_FD, SPOOL_HEADER_LEN, SPOOL_RECORD_HEADER_LEN, spoolFileHeader, writeSpoolRecordHeader } from './spool';
import { UsageError } from '../errors';

export interface CaptureChildOptions {
  device: string;
  loopback: boolean;
  filter: string;
  snaplen?: number;
  bufferSizeMiB?: number;
  write?: string;
  /** Whom to become once the device is open (liveCaptureAccount); null keeps root (-Z root). */
  account: Account | null;
  /** -Z as given (undefined: the account was chosen for the user). */
  user?: string;
  /** Stop after this many frames (-c); 0 for no limit. */
  count: number;
  /** -F: the -w file's format, whatever its name. */
  writeFormat?: string;
  /** -b and -a as given (checked by the UI before it started this process). */
  ringBuffer?: string[];
  autostop?: string[];
  /** A remote interface (-i ssh://…): captured through ssh instead of on `device`. */
  remote?: RemoteCaptureOptions;
  /** Several -i: each opened as listed, their frames merged in time order (merge.ts) instead of `device`. */
  interfaces?: MergedInterface[];
}

export interface CaptureCounts {
  /** Bytes of the spool file that hold whole records, header included. */
  spoolEnd: number;
  /** Frames written to the spool. */
  frames: number;
  /** Frames cap delivered; every one goes to the spool and the -w file. */
  received: number;
  /** The kernel's counters, or null when the cap build cannot report them. */
  kernel: KernelStats | null;
  /** Frames in the -w file (0 without -w). */
  written: number;
  /** Where they are: the -w file, or the ring's files (-b). */
  writtenTo: string;
  /** With several -i: each interface's packets and kernel counters, in -i order; else null. */
  perInterface: InterfaceCounts[] | null;
}

export interface CaptureWriteFailure {
  message: string;
  code: string;
  path: string;
  framesInFile: number;
}

export type CaptureChildMessage =
  | { t: 'ready'; linkType: number; snaplen: number; bufferMiB: number; kernelStats: boolean }
  | ({ t: 'progress' } & CaptureCounts)
  /** The capture could not start: one line for the user (a usage error, exit status 2). */
  | { t: 'fatal'; message: string }
  | ({ t: 'end'; writeFailure: CaptureWriteFailure | null; error: string | null } & CaptureCounts);

export type CaptureParentMessage = { t: 'stop' };

const SPOOL_BUFFER_BYTES = 1 << 20;
/** The UI needs no more news than this often: it draws at most every 50 ms. */
const PROGRESS_MS = 25;
/** How often the kernel's counters are read and sent, with or without traffic. */
const STATS_MS = 1000;
const WRITE_FLUSH_MS = 1000;

function send(m: CaptureChildMessage, then?: () => void): void {
  if (process.send === undefined || !process.connected) {
    then?.();
    return;
  }
  try {
    process.send(m, undefined, {}, () => then?.());
  } catch {
    // the UI is gone
    then?.();
  }
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as CaptureChildOptions;
  let spoolPos = SPOOL_HEADER_LEN;
  let spoolEnd = SPOOL_HEADER_LEN;
  let frames = 0;
  const spoolBuf = Buffer.allocUnsafe(SPOOL_BUFFER_BYTES);
  let spoolUsed = 0;
  let writer: CaptureWriter | RingWriter | null = null;
  const ring = parseRingOptions(o.ringBuffer ?? []);
  const autostop = parseAutostopOptions(o.autostop ?? []);
  // -a packets:N is dumpcap's -c N; given both, the smaller stops the capture.
  const count = Math.min(o.count > 0 ? o.count : Infinity, autostop?.packets ?? Infinity);
  let writeFailure: CaptureWriteFailure | null = null;
  let error: string | null = null;
  let stopped = false;
  let capture: LiveCapture | RemoteCapture | MergedCapture | null = null;
  // Remote and merged captures end later than asked: frames still on their way are kept.
  const finishesLater = (): boolean => capture instanceof RemoteCapture || capture instanceof MergedCapture;

  const flushSpool = (): void => {
    let p = 0;
    while (p < spoolUsed) p += fs.writeSync(SPOOL_FD, spoolBuf, p, spoolUsed - p, spoolPos + p);
    spoolPos += spoolUsed;
    spoolUsed = 0;
    spoolEnd = spoolPos;
  };
  const counts = (): CaptureCounts => ({
    spoolEnd,
    frames,
    // A remote tcpdump may still flush frames after -c: they arrived, but were not taken.
    received: finishesLater() ? frames : capture?.framesReceived ?? 0,
    kernel: capture?.kernelStats() ?? null,
    written: writer?.framesWritten ?? 0,
    writtenTo: writer instanceof RingWriter ? writer.describe() : o.write ?? '',
    perInterface: capture instanceof MergedCapture ? capture.interfaceCounts() : null,
  });
  const failWrite = (e: unknown): void => {
    if (writeFailure === null) {
      if (e instanceof CaptureWriteError) {
        writeFailure = { message: e.message, code: e.code, path: e.path, framesInFile: e.framesInFile };
      } else {
        const err = e as NodeJS.ErrnoException;
        writeFailure = { message: `${o.write}: cannot write (${err.code ?? err.message})`, code: err.code ?? 'EIO', path: o.write ?? '', framesInFile: writer?.framesWritten ?? 0 };
      }
    }
  };

  let lastProgress = 0;
  let progressTimer: NodeJS.Timeout | null = null;
  const progress = (): void => {
    if (stopped) return;
    const now = performance.now();
    if (now - lastProgress < PROGRESS_MS) {
      progressTimer ??= setTimeout(() => {
        progressTimer = null;
        progress();
      }, PROGRESS_MS - (now - lastProgress));
      return;
    }
    lastProgress = now;
    send({ t: 'progress', ...counts() });
  };

  const timers: NodeJS.Timeout[] = [];
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearInterval(t);
    if (progressTimer !== null) clearTimeout(progressTimer);
    capture?.close();
    // A remote tcpdump still flushes what it had captured before the stop: those frames are kept.
    if (capture instanceof RemoteCapture || capture instanceof MergedCapture) void capture.closed.then(finish);
    else finish();
  };
  const finish = (): void => {
    if ((capture instanceof RemoteCapture || capture instanceof MergedCapture) && capture.failure !== null) error ??= capture.failure;
    try {
      flushSpool();
    } catch (e) {
      error ??= `cannot write the spool file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    try {
      writer?.close();
    } catch (e) {
      failWrite(e);
    }
    send({ t: 'end', writeFailure, error, ...counts() }, () => process.exit(0));
  };

  let countReached = false;
  const onFrame = (f: CapturedFrame): void => {
    if (countReached || writeFailure !== null || error !== null) return;
    const need = SPOOL_RECORD_HEADER_LEN + f.capLen;
    try {
      if (spoolUsed + need > spoolBuf.length) flushSpool();
    } catch (e) {
      error = `cannot write the spool file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      stop();
      return;
    }
    const b = spoolBuf, u = spoolUsed;
    writeSpoolRecordHeader(b, u, f);
    f.buf.copy(b, u + SPOOL_RECORD_HEADER_LEN, f.off, f.off + f.capLen);
    spoolUsed = u + need;
    frames++;
    if (writer !== null) {
      try {
        writer.write(f);
      } catch (e) {
        failWrite(e);
        stop();
        return;
      }
    }
    // -a filesize or -a files reached with this frame: it is the last one.
    if (frames >= count || (writer instanceof RingWriter && writer.stopWanted)) {
      countReached = true;
      stop();
    }
  };

  try {
    capture = o.interfaces !== undefined
      ? await MergedCapture.open(o.interfaces, onFrame, null)
      : o.remote !== undefined
        ? await RemoteCapture.open(o.remote, onFrame)
        : LiveCapture.open({ device: o.device, filter: o.filter, snaplen: o.snaplen, bufferSizeMiB: o.bufferSizeMiB, loopback: o.loopback }, onFrame);
    // As tcpdump and headless capture: give up root once the device is open, before -w creates anything.
    // A bounding set that stays is the UI's to say: it meets the same in its own drop.
    dropPrivilegesOrExplain(o.account, false);
    fs.writeSync(SPOOL_FD, spoolFileHeader(capture.linkType), 0, SPOOL_HEADER_LEN, 0);
    if (o.write !== undefined) {
      try {
        writer = openCaptureOutput(o.write, capture.linkType, formatNamed(o.writeFormat), ring, autostop, capture instanceof MergedCapture ? capture.interfaces : undefined);
      } catch (e) {
        throw explainWriteAs(e, o.account, o.user);
      }
    }
  } catch (e) {
    capture?.close();
    const message = e instanceof UsageError ? e.message : `cannot capture on ${o.device}: ${(e as Error).message}`;
    send({ t: 'fatal', message }, () => process.exit(2));
    return;
  }

  const live = capture;
  if (live instanceof RemoteCapture || live instanceof MergedCapture) {
    // ssh ended by itself: the connection dropped, or the remote tcpdump failed.
    live.setEndHandler(() => stop());
    live.begin();
  }
  live.setBatchEndHandler(() => {
    if (stopped) return;
    try {
      flushSpool();
    } catch (e) {
      error = `cannot write the spool file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      stop();
      return;
    }
    progress();
  });
  timers.push(setInterval(() => {
    try {
      writer?.flush();
    } catch (e) {
      failWrite(e);
      stop();
    }
  }, WRITE_FLUSH_MS));
  if (writer instanceof RingWriter && ring?.duration !== undefined) {
    const ringWriter = writer;
    // -b duration: a quiet link still gets a new file on time.
    timers.push(setInterval(() => {
      try {
        ringWriter.tick();
        if (ringWriter.stopWanted) stop();
      } catch (e) {
        failWrite(e);
        stop();
      }
    }, RING_TICK_MS));
  }
  if (autostop?.duration !== undefined) timers.push(setTimeout(stop, autostop.duration));
  // The kernel's counters change without any packet reaching us (drops are exactly that).
  timers.push(setInterval(() => send({ t: 'progress', ...counts() }), STATS_MS));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, stop);
  process.on('disconnect', stop);
  process.on('message', (m: CaptureParentMessage) => {
    if (m.t === 'stop') stop();
  });
  send({ t: 'ready', linkType: live.linkType, snaplen: live.snaplen, bufferMiB: o.bufferSizeMiB ?? DEFAULT_BUFFER_MIB, kernelStats: live.hasKernelStats });
}

void main();
