// Starting the UI on a capture file: everything that can be wrong with the command line is
// reported before the screen is taken over, then the store starts indexing (in its worker) and the
// first rows show while the rest of the file is read.

import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { MainOptions, hooks } from '../hooks';
import { UsageError } from '../errors';
import { CaptureFileError } from '../capture/file-reader';
import { PacketStore } from '../store/packet-store';
import { applyDecodeAs } from '../decode/decode-as';

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
  // A key log loaded with K reads the capture again (the index, Protocol and Info depend on it).
  let again: Reread | null = null;
  for (;;) {
    again = await runOnce(store, opts, file, startedAt, colours, again);
    if (again === null) return;
    opts = { ...opts, keylog: again.keylog, decodeAs: again.decodeAs };
    // This process decodes the rows it shows; the indexing process applies the rules from opts.
    applyDecodeAs(again.decodeAs ?? []);
    if (again.filter !== '') opts.displayFilter = again.filter;
    else delete opts.displayFilter;
    store = PacketStore.openFile(file, opts);
  }
}

/** A capture to read again with a key log, and the user's place in it (the same packets, so the same numbers). */
interface Reread {
  keylog?: string;
  /** -d rules, those of the command line and any D added. */
  decodeAs?: string[];
  filter: string;
  selected: number;
  kept: import('./app').KeptWork;
}

async function runOnce(
  store: PacketStore, opts: MainOptions, file: string, startedAt: number, colours: import('./colours').ColourRules, last: Reread | null,
): Promise<Reread | null> {
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
  if (last !== null) {
    if (last.selected >= 0) app.selectPacketWhenLoaded(last.selected);
    app.keep(last.kept);
  }
  try {
    await app.run();
  } finally {
    for (const sig of stopSignals) process.off(sig, onSignal);
  }
  input?.destroy();
  if (app.reloadWithKeylog === null && app.reloadWithDecodeAs === null) return null;
  return {
    keylog: app.reloadWithKeylog ?? opts.keylog, decodeAs: app.reloadWithDecodeAs ?? opts.decodeAs,
    filter: app.displayFilter, selected: app.selectedPacket, kept: app.kept,
  };
}
