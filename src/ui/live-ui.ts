// The UI on a live capture (`tcpwatch -i IFACE [filter]` on a terminal): frames from the capture
// module go into the packet store (kept in the capture module's spool, within --memory-budget),
// optionally to the -w file, and the list follows the newest packet while the selection is on the
// last row. Quitting stops the capture and closes the -w file before the terminal is given back.
// A -w file that cannot be written (disk full) stops the capture rather than losing packets
// silently: the status bar says so, and after quitting one line on stderr and exit status 1.

import { basename } from 'node:path';
import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { sanitizeText } from '../output/sanitize';
import { CapturedFrame } from '../capture/frame';
import { openCaptureWriter, CaptureWriter, CaptureWriteError } from '../capture/file-writer';
import { LiveCapture, resolveCaptureDevice } from '../capture/live';
import { FrameSpool } from '../capture/spill';
import { memoryBudgetBytes } from '../capture/live-cli';
import { PacketStore } from '../store/packet-store';
import { SpoolFrames } from '../store/frames';
import { App } from './app';

export async function runLiveUi(opts: MainOptions, captureFilter: string | undefined): Promise<void> {
  const { iface } = resolveCaptureDevice(opts.interface);
  if (opts.displayFilter !== undefined) {
    if (!hooks.compileFilter) throw new UsageError('display filters are not available in this build');
    hooks.compileFilter(opts.displayFilter);
  }
  const bpf = captureFilter ?? '';
  let store: PacketStore | null = null;
  let writer: CaptureWriter | null = null;
  let bytes = 0;
  let stopped = false;
  let capture: LiveCapture | null = null;
  // The whole line for stderr after quitting, and a short one that fits the status bar.
  let writeFailure: string | null = null;
  let writeStatus: string | null = null;
  const max = opts.count ?? 0;
  const writeFailed = (e: unknown): void => {
    if (writeFailure === null) {
      if (e instanceof CaptureWriteError) {
        const n = e.framesInFile;
        writeFailure = `${e.message}; capture stopped, the file holds the first ${n} packet${n === 1 ? '' : 's'}`;
        writeStatus = `cannot write ${basename(e.path)} (${e.code}): capture stopped, ${n} packet${n === 1 ? '' : 's'} in the file`;
      } else {
        writeFailure = writeStatus = `${opts.write}: cannot write (${(e as Error).message})`;
      }
    }
    stop();
  };
  const onFrame = (f: CapturedFrame): void => {
    if (store === null || stopped) return;
    store.appendLive(f);
    bytes += f.origLen;
    try {
      writer?.write(f);
    } catch (e) {
      writeFailed(e);
      return;
    }
    if (max > 0 && store.count >= max) stop();
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    capture?.close();
    try {
      writer?.close();
    } catch (e) {
      writeFailed(e);
    } finally {
      store?.endLive(writeStatus);
    }
  };
  capture = LiveCapture.open({ device: iface.name, filter: bpf, snaplen: opts.snaplen, bufferSizeMiB: opts.bufferSize }, onFrame);
  if (opts.write !== undefined) {
    try {
      writer = openCaptureWriter(opts.write, capture.linkType);
      // The file header goes out now, so a device that takes nothing fails before the UI opens.
      writer.flush();
    } catch (e) {
      capture.close();
      writer?.close();
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(e instanceof CaptureWriteError ? e.message : `${opts.write}: cannot write (${err.code ?? err.message})`);
    }
  }
  const spool = new FrameSpool({ memoryBudgetBytes: memoryBudgetBytes(opts), linkType: capture.linkType });
  store = PacketStore.live(iface.name, opts, new SpoolFrames(spool));
  const liveStore = store;
  const flushTimer = setInterval(() => {
    try {
      if (!stopped) writer?.flush();
    } catch (e) {
      writeFailed(e);
    }
  }, 1000);
  capture.setBatchEndHandler(() => liveStore.notifyAppended());
  const app = new App(store, opts, captureFilter);
  app.live = {
    interfaceName: iface.name,
    drops: () => capture!.framesSkipped,
    stop: async () => {
      clearInterval(flushTimer);
      stop();
    },
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    // After a hangup the terminal is gone: drawing the last screen fails with EIO, harmlessly.
    if (sig === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
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
  if (writeFailure !== null) {
    process.stderr.write(`tcpwatch: ${sanitizeText(writeFailure)}\n`);
    process.exitCode = 1;
  }
}
