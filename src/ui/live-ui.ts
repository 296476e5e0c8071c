// The UI on a live capture (`tcpwatch -i IFACE [filter]` on a terminal): frames from the capture
// module go into the packet store (kept in the capture module's spool, within --memory-budget),
// optionally to the -w file, and the list follows the newest packet while the selection is on the
// last row. Quitting stops the capture and closes the -w file before the terminal is given back.

import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { CapturedFrame } from '../capture/frame';
import { openCaptureWriter, CaptureWriter } from '../capture/file-writer';
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
  const max = opts.count ?? 0;
  const onFrame = (f: CapturedFrame): void => {
    if (store === null || stopped) return;
    store.appendLive(f);
    bytes += f.origLen;
    writer?.write(f);
    if (max > 0 && store.count >= max) stop();
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    capture?.close();
    try {
      writer?.close();
    } finally {
      store?.endLive();
    }
  };
  capture = LiveCapture.open({ device: iface.name, filter: bpf, snaplen: opts.snaplen, bufferSizeMiB: opts.bufferSize }, onFrame);
  if (opts.write !== undefined) {
    try {
      writer = openCaptureWriter(opts.write, capture.linkType);
    } catch (e) {
      capture.close();
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`${opts.write}: cannot write (${err.code ?? err.message})`);
    }
  }
  const spool = new FrameSpool({ memoryBudgetBytes: memoryBudgetBytes(opts), linkType: capture.linkType });
  store = PacketStore.live(iface.name, opts, new SpoolFrames(spool));
  const liveStore = store;
  const flushTimer = setInterval(() => writer?.flush(), 1000);
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
  const onSignal = (): void => void app.quit();
  process.on('SIGTERM', onSignal);
  app.startRates(() => bytes);
  if (opts.displayFilter !== undefined && opts.displayFilter.trim() !== '') {
    app.filterBar.remember(opts.displayFilter);
    app.applyFilter(opts.displayFilter);
  }
  try {
    await app.run();
  } finally {
    process.off('SIGTERM', onSignal);
  }
}
