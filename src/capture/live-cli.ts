// `tcpwatch -i IFACE [filter]` without the UI, and `tcpwatch -D`: live frames go through the same
// Pipeline and sinks as a file does. Ctrl-C and SIGTERM stop cleanly: the -w file is flushed and
// closed, and one summary line on stderr says what was captured, written and (where it can be
// known) dropped, as tcpdump's closing lines do.

import * as fs from 'node:fs';
import { addCommands, hooks, makeAnalyzers, MainOptions } from '../hooks';
import { makeSink } from '../cli';
import { Pipeline } from '../pipeline';
import { OutputBuffer } from '../output/stdout';
import { sanitizeText } from '../output/sanitize';
import { UsageError } from '../errors';
import { openCaptureWriter, CaptureWriter } from './file-writer';
import { checkDropPrivileges, dropPrivileges } from './privileges';
import { CapturedFrame } from './frame';
import { LiveCapture, resolveCaptureDevice, DEFAULT_BUFFER_MIB } from './live';
import { loadCap, linkTypeName } from './cap-binding';
import { captureInterfaces, formatInterfaceList, CaptureInterface } from './interfaces';
import { DEFAULT_MEMORY_BUDGET_MIB } from './spill';

// Live timestamps are good to microseconds at best (native-notes/cap.md); show six digits, as
// tshark does for live captures.
const LIVE_TIME_DIGITS = 6;
const WRITE_FLUSH_MS = 1000;

/** Frame memory budget for a live capture the UI keeps (--memory-budget), in bytes. */
export function memoryBudgetBytes(opts: MainOptions): number {
  const mib = (opts as MainOptions & { memoryBudget?: number }).memoryBudget ?? DEFAULT_MEMORY_BUDGET_MIB;
  return mib * 1024 * 1024;
}

function parseMiB(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`invalid memory budget "${v}": expected a positive whole number of MiB`);
  return Number(v);
}

addCommands((program) => {
  program.option('--memory-budget <MiB>', `live capture: MiB of frames kept in memory before older ones go to a temporary file (default ${DEFAULT_MEMORY_BUDGET_MIB})`, parseMiB);
});

function listInterfaces(): void {
  const cap = loadCap();
  const list = captureInterfaces(cap.Cap.deviceList());
  const text = formatInterfaceList(list).map((l) => sanitizeText(l) + '\n').join('');
  fs.writeSync(1, text);
}

/** Packets an interface counted, as libpcap would see them: on loopback each packet once, elsewhere in and out. */
function interfacePackets(iface: CaptureInterface): number | null {
  try {
    const dir = `/sys/class/net/${iface.name}/statistics`;
    const rx = Number(fs.readFileSync(`${dir}/rx_packets`, 'utf8'));
    if (iface.loopback) return rx;
    return rx + Number(fs.readFileSync(`${dir}/tx_packets`, 'utf8'));
  } catch {
    return null;
  }
}

function writerError(path: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  return new UsageError(`${path}: cannot write (${err.code ?? err.message})`);
}

async function runLive(opts: MainOptions, captureFilter: string | undefined): Promise<void> {
  const account = opts.user !== undefined ? checkDropPrivileges(opts.user) : null;
  const { iface } = resolveCaptureDevice(opts.interface);
  const out = new OutputBuffer(1);
  const sink = makeSink(opts, out, () => LIVE_TIME_DIGITS);
  if (opts.displayFilter !== undefined && !hooks.compileFilter) throw new UsageError('display filters are not available in this build');
  const filter = opts.displayFilter !== undefined && hooks.compileFilter ? hooks.compileFilter(opts.displayFilter) : null;
  if (!opts.promiscuous && !iface.loopback && iface.name !== 'any') {
    process.stderr.write(`tcpwatch: -p cannot be honoured: the cap module always opens ${sanitizeText(iface.name)} in promiscuous mode\n`);
  }

  let pipeline: Pipeline | null = null;
  let failure: unknown = null;
  let stopCapture: () => void = () => {};
  const onFrame = (frame: CapturedFrame): void => {
    try {
      if (!pipeline!.handle(frame) || out.closed) stopCapture();
    } catch (e) {
      failure = e;
      stopCapture();
    }
  };
  const bpf = captureFilter ?? '';
  const capture = LiveCapture.open({ device: iface.name, filter: bpf, snaplen: opts.snaplen, bufferSizeMiB: opts.bufferSize }, onFrame);
  // As tcpdump: give up root once the device is open, before any output file is created.
  if (account !== null) {
    try {
      dropPrivileges(account);
    } catch (e) {
      capture.close();
      throw new UsageError(`-Z ${account.name}: ${(e as Error).message}`);
    }
  }
  let writer: CaptureWriter | null = null;
  if (opts.write !== undefined) {
    try {
      writer = openCaptureWriter(opts.write, capture.linkType);
    } catch (e) {
      capture.close();
      throw writerError(opts.write, e);
    }
  }
  pipeline = new Pipeline({ sink, filter, writer, maxFrames: opts.count ?? 0, analyzers: makeAnalyzers(opts, null) });
  const countedBefore = bpf === '' ? interfacePackets(iface) : null;
  process.stderr.write(
    `listening on ${sanitizeText(iface.name)}, link-type ${linkTypeName(capture.linkType)}, snapshot length ${capture.snaplen} bytes, ` +
      `buffer ${opts.bufferSize ?? DEFAULT_BUFFER_MIB} MiB\n`,
  );

  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    const flushTimer = setInterval(() => {
      try {
        writer?.flush();
      } catch (e) {
        failure = e;
        stopCapture();
      }
    }, WRITE_FLUSH_MS);
    flushTimer.unref();
    const onSignal = (): void => stopCapture();
    stopCapture = () => {
      if (stopped) return;
      stopped = true;
      capture.close();
      clearInterval(flushTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const countedAfter = countedBefore === null ? null : interfacePackets(iface);
      try {
        pipeline!.end();
      } catch (e) {
        failure ??= e;
      }
      process.stderr.write(summaryLine(capture, writer, opts.write, countedBefore, countedAfter, bpf) + '\n');
      if (failure !== null) {
        const err = failure as NodeJS.ErrnoException;
        reject(err.code !== undefined && opts.write !== undefined ? writerError(opts.write, err) : err);
      } else {
        resolve();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    capture.setBatchEndHandler(() => {
      if (!out.closed) out.flush();
      if (out.closed) stopCapture();
    });
  });
}

function summaryLine(
  capture: LiveCapture,
  writer: CaptureWriter | null,
  path: string | undefined,
  before: number | null,
  after: number | null,
  bpf: string,
): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  let line = `${plural(capture.framesReceived, 'packet')} captured`;
  if (writer !== null && path !== undefined) line += `, ${writer.framesWritten} written to ${sanitizeText(path)}`;
  if (capture.framesSkipped > 0) line += `, ${capture.framesSkipped} not decoded (tcpwatch fell behind)`;
  if (before !== null && after !== null) {
    const missed = Math.max(0, after - before - capture.framesReceived);
    line += `; about ${missed} dropped (from the interface's packet counters)`;
  } else if (bpf !== '') {
    line += '; kernel drops unknown (cap reports no libpcap statistics)';
  } else {
    line += '; kernel drops unknown';
  }
  return line;
}

hooks.live = runLive;
hooks.listInterfaces = listInterfaces;
