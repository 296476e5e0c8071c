// Starting the UI on a capture file: everything that can be wrong with the command line is
// reported before the screen is taken over, then the store starts indexing (in its worker) and the
// first rows show while the rest of the file is read.

import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { CaptureFileError } from '../capture/file-reader';
import { PacketStore } from '../store/packet-store';

export async function runFileUi(opts: MainOptions, captureFilter: string | undefined): Promise<void> {
  const startedAt = performance.now();
  const file = opts.readFile!;
  if (captureFilter !== undefined) throw new UsageError('a capture filter applies to live capture; use -Y for a display filter on a file');
  if (opts.write !== undefined) throw new UsageError('-r with -w copies packets without the UI: add --no-ui');
  if (opts.displayFilter !== undefined) {
    if (!hooks.compileFilter) throw new UsageError('display filters are not available in this build');
    hooks.compileFilter(opts.displayFilter); // a mistake is reported on the command line, as headless
  }
  // Same checks and messages as headless reading (missing file, directory, permissions, not a capture);
  // standard input can be read only once, by the store.
  if (file !== '-') {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { openReader } = require('../capture/open-reader') as typeof import('../capture/open-reader');
    openReader(file).close();
  }
  let store: PacketStore;
  try {
    // Started before blessed loads, so the worker indexes while the screen is being set up.
    store = PacketStore.openFile(file, opts);
  } catch (e) {
    if (e instanceof CaptureFileError) throw new UsageError(e.message);
    throw e;
  }
  // Read after the indexing process has started (it indexes meanwhile); a file that is not in the
  // colorfilters format is still reported before the screen opens.
  let colours: import('./colours').ColourRules;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    colours = (require('./colours') as typeof import('./colours')).loadColourRules(opts);
  } catch (e) {
    store.close();
    throw e;
  }
  // With the capture on standard input, keys come from the terminal itself.
  let input: tty.ReadStream | undefined;
  if (file === '-') {
    try {
      input = new tty.ReadStream(fs.openSync('/dev/tty', 'r'));
    } catch {
      store.close();
      throw new UsageError('reading a capture from standard input needs a terminal for the keys (/dev/tty); use --no-ui');
    }
  }
  const storeAt = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { App } = require('./app') as typeof import('./app');
  const loadedAt = performance.now();
  const app = new App(store, opts, undefined, input);
  app.setColours(colours);
  app.traceLine(`ui-start at=${startedAt.toFixed(3)} store-open=${storeAt.toFixed(3)} ui-code=${loadedAt.toFixed(3)} preview=${store.count}`);
  if (opts.displayFilter !== undefined && opts.displayFilter.trim() !== '') {
    app.filterBar.remember(opts.displayFilter);
    app.applyFilter(opts.displayFilter);
  }
  // kill (SIGTERM) or Ctrl-C from outside (SIGINT) leave as q does: the terminal restored, the
  // indexing process ended. blessed's own handlers stand down while another listener is there, and a
  // running filter yields between slices, so the signal is handled within one slice.
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const onSignal = (): void => void app.quit();
  for (const sig of stopSignals) process.on(sig, onSignal);
  try {
    await app.run();
  } finally {
    for (const sig of stopSignals) process.off(sig, onSignal);
  }
  input?.destroy();
}
