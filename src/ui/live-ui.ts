// The UI on a live capture (`tcpwatch -i IFACE [filter]` on a terminal). Capturing runs in a
// separate process (src/capture/capture-child.ts, as termshark runs dumpcap): it reads libpcap's
// ring, writes every frame to a spool file and the -w file, and reports what the kernel counted.
// This process indexes the spool as it grows and draws; however long it is busy (garbage
// collection, drawing, replaying a stream), the capture process keeps reading the ring, so nothing
// is lost that headless capture would not lose. The list follows the newest packet while the
// selection is on the last row. The status bar's "drops" is what the kernel and the interface
// dropped (the capture process analyses nothing, so it never skips a frame); after quitting, one
// line on stderr says what was captured, written and dropped, as headless capture does.
//
// Started as root, the capture process gives up root once the device is open (before creating -w),
// and this process once the capture runs, so neither the dissectors nor the UI run as root
// (src/capture/privileges.ts says whom they become; -Z root keeps root).
//
// A -w file that cannot be written (disk full) stops the capture rather than losing packets
// silently: the status bar says so, and after quitting one line on stderr and exit status 1. After
// a hangup (SIGHUP, or the terminal failing a write) the capture stops the same way and the process
// leaves without restoring the terminal that is gone (src/hangup.ts).

import { basename } from 'node:path';
import * as fs from 'node:fs';
import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { sanitizeText } from '../output/sanitize';
import { CapturedFrame } from '../capture/frame';
import { resolveCaptureDevice } from '../capture/live';
import { isRemoteInterface, remoteCaptureOptions } from '../capture/remote';
import { CaptureProcess } from '../capture/capture-process';
import { mergedInterfaces, formatInterfaceCounts } from '../capture/merge';
import { setInterfaceName } from '../capture/interface-names';
import { createSpoolFile, SpoolReader } from '../capture/spool';
import { captureSummary, memoryBudgetBytes } from '../capture/run-facts';
import { liveCaptureAccount, dropPrivilegesOrExplain } from '../capture/privileges';
import { PacketStore } from '../store/packet-store';
import { exitAfterHangup } from '../hangup';
import { App } from './app';
import { loadColourRules } from './colours';
import { setStateCeilingReporter, forgottenLine } from '../pipeline';
import type { TcpStreamTable } from '../analysis/streams';

/** Longest the UI indexes new frames before letting keys and drawing in. */
const INDEX_SLICE_MS = 30;
/** Exit status when the run started well and then failed (a -w disk filled up), as tcpdump's. */
const EXIT_RUN_FAILED = 1;

export async function runLiveUi(opts: MainOptions, captureFilter: string | undefined): Promise<void> {
  const account = liveCaptureAccount(opts.user);
  const bpf = captureFilter ?? '';
  // Several -i: the capture process opens each (merge.ts) and names each record's interface; the
  // local ones are checked here, so that a wrong name is a usage error before the screen is taken.
  const names = opts.interfaces ?? [];
  const several = names.length > 1 ? mergedInterfaces(names, bpf, opts.snaplen, opts.bufferSize, (n) => remoteCaptureOptions(opts, bpf, n)) : undefined;
  if (several !== undefined) {
    for (const it of several) if (it.remote === null) resolveCaptureDevice(it.name);
    // frame.interface_name and the Interface column read these (one table per process).
    several.forEach((it, i) => setInterfaceName(i, it.name));
  }
  // A remote interface is captured by the capture process through ssh: no local device to check.
  const remote = several === undefined && isRemoteInterface(opts.interface) ? remoteCaptureOptions(opts, bpf) : undefined;
  const iface = several !== undefined ? { name: names.join(', '), loopback: false }
    : remote === undefined ? resolveCaptureDevice(opts.interface).iface : { name: remote.target.url, loopback: false };
  if (opts.displayFilter !== undefined) {
    if (!hooks.compileFilter) throw new UsageError('display filters are not available in this build');
    hooks.compileFilter(opts.displayFilter);
  }
  const colours = loadColourRules(opts);
  const spoolFd = createSpoolFile();
  let capture: CaptureProcess;
  try {
    capture = await CaptureProcess.start({
      device: iface.name,
      loopback: iface.loopback,
      filter: bpf,
      snaplen: opts.snaplen,
      bufferSizeMiB: opts.bufferSize,
      write: opts.write,
      account,
      user: opts.user,
      count: opts.count ?? 0,
      writeFormat: opts.writeFormat,
      ringBuffer: opts.ringBuffer,
      autostop: opts.autostop,
      remote,
      interfaces: several,
    }, spoolFd);
  } catch (e) {
    fs.closeSync(spoolFd);
    throw e;
  }
  // The capture process has the device open and has given up root itself; this one follows,
  // before it reads the first frame from the spool.
  try {
    dropPrivilegesOrExplain(account);
  } catch (e) {
    await capture.stop();
    fs.closeSync(spoolFd);
    throw e;
  }
  // The UI owns the terminal: what the ceiling of TCP state has to say waits until it has closed.
  // The UI replays the capture (filters, details), so the notice comes once and the count is the most forgotten.
  let ceilingLine: string | null = null;
  const fullTables: TcpStreamTable[] = [];
  setStateCeilingReporter({
    reached: (line, streams) => {
      ceilingLine ??= line;
      fullTables.push(streams);
    },
    forgotten: () => {},
  });
  const spool = new SpoolReader(spoolFd, capture.linkType, memoryBudgetBytes(opts));
  const store = PacketStore.live(iface.name, opts, spool);
  let bytes = 0;
  let indexTimer: NodeJS.Immediate | null = null;
  let ended = false;
  let quitting = false;
  const onFrame = (f: CapturedFrame): void => {
    store.appendLive(f);
    bytes += f.origLen;
  };
  // Index what the capture process has announced, a slice at a time; the rest on the next turn.
  const index = (): void => {
    indexTimer = null;
    if (quitting && !ended) return;
    const more = spool.readNew(onFrame, performance.now() + INDEX_SLICE_MS);
    store.notifyAppended();
    if (more) indexTimer = setImmediate(index);
  };
  // The short line for the status bar when -w fails; the whole one goes to stderr after quitting.
  const writeStatus = (): string | null => {
    const w = capture.writeFailure;
    if (w === null) return null;
    const n = w.framesInFile;
    return `cannot write ${basename(w.path)} (${w.code}): capture stopped, ${n} packet${n === 1 ? '' : 's'} in the file`;
  };
  capture.onProgress = () => {
    spool.announce(capture.counts.spoolEnd);
    if (capture.ended && !ended) {
      // Everything the capture process wrote is announced: index it all, then say the capture ended.
      ended = true;
      if (indexTimer !== null) clearImmediate(indexTimer);
      indexTimer = null;
      spool.readNew(onFrame, Infinity);
      store.endLive(writeStatus() ?? capture.error);
      return;
    }
    if (indexTimer === null) indexTimer = setImmediate(index);
  };
  capture.onProgress();

  const app = new App(store, opts, captureFilter);
  app.setColours(colours);
  app.live = {
    interfaceName: iface.name,
    drops: () => {
      const k = capture.counts.kernel;
      return k === null ? null : k.dropped + k.ifdropped;
    },
    perInterface: () => capture.counts.perInterface,
    stop: async () => {
      quitting = true;
      await capture.stop();
    },
  };
  let hungUp = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (sig === 'SIGHUP') {
      // The terminal is gone: drawing the last screen fails with EIO, harmlessly.
      hungUp = true;
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    }
    void app.quit();
  };
  // Ctrl-C in the UI is a key; these signals come from kill or a closed terminal (SIGHUP) and must
  // close the -w file too (blessed's own SIGINT handler exits at once and stands down for ours).
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of stopSignals) process.on(sig, onSignal);
  // A terminal that goes away can fail a write (EIO) before SIGHUP arrives: the same clean stop.
  const onTerminalError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EIO' && e.code !== 'EPIPE') throw e;
    onSignal('SIGHUP');
  };
  process.stdout.on('error', onTerminalError);
  app.startRates(() => bytes);
  if (opts.displayFilter !== undefined && opts.displayFilter.trim() !== '') {
    app.filterBar.remember(opts.displayFilter);
    app.applyFilter(opts.displayFilter);
  }
  try {
    await app.run();
  } finally {
    for (const sig of stopSignals) process.off(sig, onSignal);
    process.stdout.off('error', onTerminalError);
  }
  const c = capture.counts;
  const lines = [captureSummary({
    received: c.received,
    skipped: 0,
    written: opts.write !== undefined ? c.written : null,
    path: c.writtenTo !== '' ? c.writtenTo : opts.write,
    kernel: c.kernel,
    interfaceDrops: null,
    filtered: bpf !== '' && remote === undefined && several === undefined,
  })];
  if (c.perInterface !== null) lines.push(`per interface: ${sanitizeText(formatInterfaceCounts(c.perInterface))}`);
  if (ceilingLine !== null) {
    // The indexer's table saw every frame; replays (filters, details) saw fewer.
    const n = Math.max(...fullTables.map((t) => t.retiredConnections));
    lines.push(ceilingLine, forgottenLine(n));
  }
  if (capture.writeFailure !== null) {
    const n = capture.writeFailure.framesInFile;
    lines.push(`tcpwatch: ${sanitizeText(capture.writeFailure.message)}; capture stopped, the file holds the first ${n} packet${n === 1 ? '' : 's'}`);
    process.exitCode = EXIT_RUN_FAILED;
  } else if (capture.error !== null) {
    lines.push(`tcpwatch: ${sanitizeText(capture.error)}`);
    process.exitCode = EXIT_RUN_FAILED;
  }
  if (hungUp) {
    // Written where it can still go (a redirected stderr); a terminal that is gone fails the write.
    try {
      fs.writeSync(2, lines.join('\n') + '\n');
    } catch {
      // EIO: nobody is left to read it
    }
    exitAfterHangup(typeof process.exitCode === 'number' ? process.exitCode : 0);
  }
  process.stderr.write(lines.join('\n') + '\n');
}
