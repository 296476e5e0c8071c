// The full-screen UI: wires the packet store (src/store/) to the widgets (src/ui/widgets/) through
// the views. Layout, top to bottom: display filter bar, packet list, details tree, bytes, status
// bar; Follow stream, Conversations, Statistics and Help open over it.

import { nameResolution } from '../fields/names';
import type * as blessed from 'blessed';
import { screen } from './widgets/blessed-core';
import type { KeyEvent } from 'blessed';
import * as fs from 'node:fs';
import { hooks, MainOptions } from '../hooks';
import { DisplayFilter } from '../pipeline';
import { PacketStore } from '../store/packet-store';
import { FilterRun } from '../store/filter-run';
import { followStream, followUdp, followLines, followSaved, followModeName, followName, followFilter, FollowResult, FollowMode, FollowEncoding, FOLLOW_ENCODINGS, Side } from '../store/follow';
import { followDecoded } from '../store/follow-tls';
import { isUdpRow } from '../store/conversations';
import { compareStream } from '../store/compare';
import { explainStream } from '../store/explain';
import { ladderLines } from '../reports/explain';
import { NO_STREAM, CHUNK_BITS, CHUNK_MASK } from '../store/columns';
import { TIME_FORMAT_NAMES, TimeFormat } from '../store/rows';
import { sanitizeText } from '../output/sanitize';
import { chooseTheme, Theme, followAttr, ruleAttr } from './theme';
import { ColourRules, CompiledColourRules, compileColourRules } from './colours';
import { ColourRun } from '../store/colour-rules';
import { RowClass } from '../store/rows';
import { PLAIN } from './widgets/paint';
import { FindKind, SaveKind, ExportKind, splitRangeAndFile } from './views/filter-bar';
import { PacketRange, parsePacketRange, packetsInRange } from './packet-range';
import { allFields } from '../fields/registry';
import { protocolColumn, infoColumn } from '../output/summary';
import { buildDetails, DetailNode } from '../output/details';
import { openOutputFile, writeErrorForUser } from '../capture/file-writer';
import { CapturedFrame } from '../capture/frame';
import type { InterfaceCounts } from '../capture/merge';
import { UsageError } from '../errors';
import { Dissection } from '../decode/dissection';
import { actionFor, keyId, Action, Binding } from './keys';
import { PacketListView } from './views/packet-list';
import { DetailsView } from './views/details';
import { FilterBar, FilterCheckResult } from './views/filter-bar';
import { ConversationsView, humanBytes } from './views/conversations';
import { StatsView } from './views/stats';
import { StreamGraphView } from './views/stream-graph';
import { IoGraphView, IO_LINE_MARKERS } from './views/io-graph';
import { IoGraphRun, IoGraphLine, IO_GRAPH_INTERVALS } from '../store/io-graph';
import { graphDirection } from '../store/stream-graph';
import { helpLines } from './views/help';
import { compareRows, compareTitle } from './views/compare';
import { Bar, Segment } from './widgets/bar';
import { TextView } from './widgets/text-view';
import { openProfile, Profile, PREFERENCES_FILE, RECENT_FILE, RECENT_COMMON_FILE, RECENT_FILTER_KEY, TIME_FORMAT_KEY, COLUMN_WIDTH_KEY, MAX_RECENT_FILTERS } from '../config/profile';
import { COLUMN_FORMAT_PREF, columnFormatText, columnsFromPrefs, customColumn, formatCode, layColumns, parseStringList } from '../output/column-format';
import { getField } from '../fields/registry';
import { formatField } from '../fields/format';
import { hexDumpLines } from '../output/hexdump';
import { CopyKind } from './views/filter-bar';
import { ListColumn } from './views/packet-list';

type Pane = 'list' | 'details' | 'bytes';
type Overlay = 'none' | 'help' | 'follow' | 'compare' | 'explain' | 'conversations' | 'stats' | 'graph' | 'io';

/** Marks, time references, the time format and whether rows are coloured: what K's reread keeps. */
export interface KeptWork {
  marks: number[];
  refs: number[];
  timeFormat: TimeFormat;
  colouring: boolean;
  columns: ListColumn[];
}

/** What the status bar shows about a live capture (set by the live source). */
export interface LiveStatus {
  interfaceName: string;
  /** Frames the kernel or tcpwatch dropped, or null when unknown. */
  drops(): number | null;
  /** With several -i: each interface's packets and kernel counters, in -i order; else null. */
  perInterface(): InterfaceCounts[] | null;
  /** Stop capturing and flush any -w file; resolves once the file is complete. */
  stop(): Promise<void>;
}

const RENDER_INTERVAL_MS = 50;
/** Wireshark's recent-file names of the time formats, in TimeFormat order (the absolute one shows the date). */
const TIME_FORMAT_KEYS = ['RELATIVE', 'ABSOLUTE_WITH_YMD', 'DELTA', 'EPOCH'];
/**
 * The most OSC 52 carries: xterm's and tmux's limits are about this much base64, and a longer
 * sequence is dropped whole by some terminals, silently.
 */
const MAX_OSC52_BYTES = 74994;
/**
 * While the list follows new packets, the details pane (a replay of the newest packet's stream,
 * up to thousands of packets) is rebuilt at most this often. Rebuilt for every batch, as it was, it
 * took three quarters of the live UI's CPU and made most of its garbage (the 10-minute soak's UI
 * grew its V8 heap to 55 MiB and had spikes of 20-30 MiB; native-notes/long-runs.md), for a pane
 * nobody can read at 40 updates a second. A key or click that selects a packet shows it at once.
 */
const FOLLOW_DETAILS_MS = 500;
const FILTER_SLICE_MS = 15;
/** Colouring runs whenever rows are new; its slices are short so a key waits less than a frame. */
const COLOUR_SLICE_MS = 8;
const COLOUR_FIRST_MS = 4;
const MESSAGE_MS = 4000;

export class App {
  readonly screen: blessed.Screen;
  readonly theme: Theme;
  readonly filterBar: FilterBar;
  readonly packets: PacketListView;
  readonly details: DetailsView;
  readonly detailsTitle: Bar;
  readonly bytesTitle: Bar;
  readonly status: Bar;
  readonly textView: TextView;
  readonly conversations: ConversationsView;
  readonly stats: StatsView;
  readonly graph: StreamGraphView;
  readonly ioGraph: IoGraphView;
  /** The I/O graph's lines after the first (which is the display filter in use), as the user added them. */
  private ioLines: IoGraphLine[] = [];
  private ioTimer: NodeJS.Immediate | null = null;
  focus: Pane = 'list';
  overlay: Overlay = 'none';
  live: LiveStatus | null = null;
  private filterRun: FilterRun | null = null;
  /** The colouring rules in use (as read; compiled: those that compiled) and each one's row attribute. */
  colours: ColourRules | null = null;
  private colourCompiled: CompiledColourRules | null = null;
  private colourAttrs: number[] = [];
  private colourRun: ColourRun | null = null;
  private colourTimer: NodeJS.Immediate | null = null;
  /** Off with the colouring key: every row in the terminal's own colours. */
  colouring = true;
  /** The last find (Ctrl-F): its matches, found in the background from the first packet on. */
  private findRun: FilterRun | null = null;
  private findLabel = '';
  private findWant: { from: number; dir: 1 | -1 } | null = null;
  private findTimer: NodeJS.Immediate | null = null;
  /** Packets a live capture had when last saved from the UI (quitting asks while more are unsaved). */
  private savedCount = 0;
  /** Quitting a live capture with unsaved packets: waiting for save / discard / cancel. */
  private asking = false;
  private quitAfterSave = false;
  /** The stream Follow shows, filtered to when it closes, and its payload (for exporting it). */
  private followed: { protocol: 'TCP' | 'UDP'; stream: number; result: FollowResult } | null = null;
  private filterTimer: NodeJS.Immediate | null = null;
  /** Packet to keep selected while a new filter's matches arrive. */
  private wantPacket = -1;
  /** The filter run's end has been handled (traced, said, selection kept): no step is left to take. */
  private filterDoneNoted = false;
  private renderPending = false;
  private lastRender = 0;
  private renderTimer: NodeJS.Timeout | null = null;
  private detailsPending = false;
  /** performance.now() when the details pane last showed a packet. */
  private detailsShownAt = -Infinity;
  /** Set while the list's selection moves because it follows new packets. */
  private selectingByFollow = false;
  private followTimer: NodeJS.Timeout | null = null;
  private message = '';
  private messageTimer: NodeJS.Timeout | null = null;
  private quitting = false;
  /** The TCP stream Follow last showed and how (tls: decrypted application data; wire: the bytes as sent), kept for m and the next F on it. */
  private followAt = { stream: -1, mode: 'wire' as FollowMode, substream: -1 };
  /** How Follow shows the bytes (a), kept from one stream to the next. */
  private followEncoding: FollowEncoding = 'ascii';
  /** A Follow result m already worked out (to learn the mode has something to show), for the view it opens. */
  private followNext: FollowResult | null = null;
  /**
   * A key log file to read the capture again with (K): run() resolves and the caller opens the
   * capture anew with it, so the list, filters and every view see the decrypted records.
   */
  reloadWithKeylog: string | null = null;
  /** Decode As rules to read the capture again with (D), the command line's -d first; null: none asked. */
  reloadWithDecodeAs: string[] | null = null;
  /** Where D reads the selected packet's ports. */
  private portsOf: Dissection | null = null;
  /** Packet to select once the store holds it (a capture read again keeps the user's place). */
  private selectOnLoad = -1;
  private resolveDone: (() => void) | null = null;
  // live rates, from the packet count one second apart
  private rateAt = 0;
  private rateCount = 0;
  private rateBytes = 0;
  private pps = 0;
  private bps = 0;
  private rateTimer: NodeJS.Timeout | null = null;
  private readonly trace: number | null;
  private memoryTraced = false;
  /** The configuration profile: where columns, the time format and recent filters are kept. */
  readonly profile: Profile;
  private profileWriteFailed = false;
  /** Copy to the terminal's clipboard with OSC 52 (--osc52: only when the user asks, as terminals may refuse or log it). */
  osc52 = false;
  /** First time rows were drawn (performance.now()), for the benchmark. */
  firstRowsAt = -1;

  constructor(readonly store: PacketStore, readonly opts: MainOptions, readonly captureFilter: string | undefined, input?: NodeJS.ReadableStream) {
    this.screen = screen({
      ...(input !== undefined ? { input } : {}),
      smartCSR: true,
      fullUnicode: false,
      forceUnicode: true,
      warnings: false,
      autoPadding: false,
      sendFocus: false,
    });
    // Box-drawing characters go out as UTF-8, not through the terminal's alternate character set,
    // which multiplexers and screen captures render as plain letters.
    (this.screen.tput as unknown as { brokenACS: boolean }).brokenACS = true;
    const traceFile = process.env.TCPWATCH_UI_TRACE;
    this.trace = traceFile ? fs.openSync(traceFile, 'a') : null;
    this.theme = chooseTheme(this.screen.tput.colors);
    const s = this.screen;
    this.filterBar = new FilterBar(this.theme, { parent: s, top: 0, left: 0, width: '100%', height: 1 });
    this.packets = new PacketListView(store, this.theme, { parent: s, top: 1, left: 0, width: '100%', height: 10 });
    this.detailsTitle = new Bar({ parent: s, top: 11, left: 0, width: '100%', height: 1 });
    this.bytesTitle = new Bar({ parent: s, top: 20, left: 0, width: '100%', height: 1 });
    this.details = new DetailsView(store, this.theme,
      { parent: s, top: 12, left: 0, width: '100%', height: 8 },
      { parent: s, top: 21, left: 0, width: '100%', height: 5 });
    this.status = new Bar({ parent: s, bottom: 0, left: 0, width: '100%', height: 1 });
    this.status.fillAttr = this.theme.status;
    this.textView = new TextView(s, this.theme.titleFocused);
    this.conversations = new ConversationsView(s, store, this.theme);
    this.stats = new StatsView(s, store, this.theme);
    this.graph = new StreamGraphView(s, store, this.theme);
    this.ioGraph = new IoGraphView(s, this.theme);
    this.profile = openProfile(opts.profile);
    this.osc52 = (opts as MainOptions & { osc52?: boolean }).osc52 === true;
    this.loadProfile();
    this.wire();
    this.layout();
  }

  /** Append a line to the TCPWATCH_UI_TRACE file, if one was asked for (benchmarks read it). */
  traceLine(what: string): void {
    if (this.trace !== null) fs.writeSync(this.trace, `${performance.now().toFixed(3)} ${what}\n`);
  }

  // ---------------------------------------------------------------- wiring

  private wire(): void {
    const list = this.packets.list;
    list.focused = true;
    list.follow = this.store.kind === 'live';
    list.onSelect = () => this.selectionChanged();
    list.el.on('picked', () => this.setFocus('list'));
    this.details.tree.list.el.on('picked', () => this.setFocus('details'));
    this.details.hex.el.on('click', () => this.setFocus('bytes'));

    this.filterBar.validate = (expr) => this.checkFilter(expr);
    this.filterBar.onSubmit = (mode, text, kind) => {
      if (mode === 'filter') this.applyFilter(text);
      else if (mode === 'find') this.find(kind as FindKind, text);
      else if (mode === 'save') this.save(kind as SaveKind, text);
      else if (mode === 'export') this.exportPayload(kind as ExportKind, text);
      else if (mode === 'keylog') this.loadKeylog(text);
      else if (mode === 'decodeAs') this.decodeAs(text);
      else if (mode === 'copy') this.copy(kind as CopyKind, text);
      else if (mode === 'ioLine') this.addIoLine(text);
      else this.gotoPacket(text);
    };
    this.filterBar.onCancel = () => {
      this.quitAfterSave = false;
      if (this.overlay === 'io') this.ioGraph.title.el.setFront();
      else if (this.overlay !== 'none') this.textView.title.el.setFront();
      this.requestRender();
    };
    this.filterBar.onEdit = () => {
      // Typing a new expression cancels the one still running.
      if (this.filterRun !== null && !this.filterRun.done) this.cancelFilter();
    };
    this.conversations.onChoose = (filter) => {
      this.closeOverlay();
      this.applyFilter(filter);
    };
    this.conversations.onUpdate = () => {
      if (this.overlay === 'conversations') this.requestRender();
    };

    this.screen.on('keypress', (ch: string | undefined, key: KeyEvent | undefined) => this.onKey(ch, key));
    this.screen.on('resize', () => {
      this.layout();
      this.requestRender();
    });
    this.store.onChange(() => this.storeChanged());
  }

  private layout(): void {
    const h = this.screen.height;
    const avail = Math.max(6, h - 4); // filter bar, two pane titles, status bar
    const listH = Math.max(3, Math.round(avail * 0.46));
    const bytesH = Math.max(1, Math.round(avail * 0.22));
    const detailsH = Math.max(1, avail - listH - bytesH);
    let y = 1;
    this.packets.list.el.top = y;
    this.packets.list.el.height = listH;
    y += listH;
    this.detailsTitle.el.top = y++;
    this.details.tree.el.top = y;
    this.details.tree.el.height = detailsH;
    y += detailsH;
    this.bytesTitle.el.top = y++;
    this.details.hex.el.top = y;
    this.details.hex.el.height = bytesH;
    this.packets.list.ensureVisible();
    this.details.tree.list.ensureVisible();
    if (this.textView.visible) this.textView.resize(h - 1);
    if (this.conversations.visible) this.conversations.resize(h - 1);
    if (this.stats.visible) this.stats.resize(h - 1);
    if (this.graph.visible) this.graph.resize(h - 1);
    if (this.ioGraph.visible) this.ioGraph.resize(h - 1);
  }

  // ---------------------------------------------------------------- rendering

  /** Render soon, at most every RENDER_INTERVAL_MS for background updates. */
  requestRender(now = false): void {
    if (now) {
      this.render();
      return;
    }
    if (this.renderPending) return;
    this.renderPending = true;
    const wait = Math.max(0, RENDER_INTERVAL_MS - (performance.now() - this.lastRender));
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      this.render();
    }, wait);
  }

  render(): void {
    if (this.quitting) return;
    this.renderPending = false;
    const t0 = performance.now();
    this.updateChrome();
    this.screen.render();
    this.lastRender = performance.now();
    if (this.firstRowsAt < 0 && this.packets.count() > 0) {
      this.firstRowsAt = this.lastRender;
      this.traceLine(`first-rows count=${this.store.count}`);
    }
    this.traceLine(`render ms=${(this.lastRender - t0).toFixed(3)} list_ms=${this.packets.list.lastRenderMs.toFixed(3)} count=${this.store.count} loading=${this.store.loading ? 1 : 0}`);
  }

  private updateChrome(): void {
    const t = this.theme;
    const titleAttr = (p: Pane): number => (this.focus === p && this.overlay === 'none' ? t.titleFocused : t.title);
    this.packets.list.focused = this.focus === 'list';
    this.details.tree.list.focused = this.focus === 'details';
    // the packet the details show (while following, they can be a moment behind the selection)
    const sel = this.details.packet;
    this.detailsTitle.fillAttr = titleAttr('details');
    const rule = sel >= 0 ? this.colourRuleName(sel) : '';
    this.detailsTitle.segments = [{
      text: ` Packet details${sel >= 0 ? ` \u2014 frame ${sel + 1}` : ''}${rule !== '' ? ` \u00b7 colour rule: ${sanitizeText(rule)}` : ''}`,
      attr: titleAttr('details'),
    }];
    this.detailsTitle.right = [{ text: 'Enter open/close  e/w all  Tab next pane ', attr: titleAttr('details') }];
    this.bytesTitle.fillAttr = titleAttr('bytes');
    const dl = this.details.decryptedLength;
    if (sel >= 0 && dl > 0) {
      // Tabs as Wireshark's bytes pane has them: the frame, and what decryption made of its records.
      const on = this.details.tab;
      const tab = (name: string, shown: boolean): Segment => ({ text: shown ? `[${name}]` : ` ${name} `, attr: shown ? titleAttr('bytes') : t.title });
      this.bytesTitle.segments = [
        { text: ' Packet bytes  ', attr: titleAttr('bytes') },
        tab(`Frame (${this.details.frameLength} bytes)`, on === 'frame'),
        { text: ' ', attr: titleAttr('bytes') },
        tab(`Decrypted TLS (${dl} bytes)`, on === 'decrypted'),
      ];
      this.bytesTitle.right = [{ text: 'b switch tab ', attr: titleAttr('bytes') }];
    } else {
      this.bytesTitle.segments = [{ text: ' Packet bytes', attr: titleAttr('bytes') }];
      this.bytesTitle.right = [];
    }
    this.filterBar.applied = this.filterRun?.expression ?? '';
    const run = this.filterRun;
    this.filterBar.progress = run === null || run.done ? -1 : this.store.count > 0 ? run.scanned / this.store.count : 0;
    this.status.segments = this.statusSegments();
    this.status.right = [{ text: ' ? help  q quit ', attr: t.statusAccent }];
  }

  private statusSegments(): Segment[] {
    const t = this.theme, st = this.store;
    const seg: Segment[] = [];
    const sep = { text: ' \u2502 ', attr: t.status };
    // With several -i, each interface is named once, with its packets and the kernel's drops there.
    const each = st.kind === 'live' ? this.live?.perInterface() ?? null : null;
    const src = each !== null
      ? `live: ${each.map((c) => `${sanitizeText(c.name)} ${c.received} (drops ${c.kernel === null ? 'unknown' : c.kernel.dropped + c.kernel.ifdropped})`).join(', ')}`
      : st.kind === 'live' ? `live: ${sanitizeText(this.live?.interfaceName ?? st.description)}` : `file: ${sanitizeText(st.description)}`;
    // Paths and filters can be any length: they are cut so the counts after them stay on screen.
    seg.push({ text: ` ${src}`, attr: t.statusAccent, shrink: true });
    if (this.captureFilter) seg.push(sep, { text: `capture filter: ${sanitizeText(this.captureFilter)}`, attr: t.status, shrink: true });
    if (this.opts.keylog) seg.push(sep, { text: `key log: ${sanitizeText(this.opts.keylog)}`, attr: t.status, shrink: true });
    if (this.opts.decodeAs?.length) seg.push(sep, { text: `decode as: ${sanitizeText(this.opts.decodeAs.join(' '))}`, attr: t.status, shrink: true });
    if (this.filterRun) seg.push(sep, { text: `display filter: ${sanitizeText(this.filterRun.expression)}`, attr: t.status, shrink: true });
    seg.push(sep, { text: `shown ${this.packets.count()} / ${st.count}`, attr: t.statusAccent });
    if (this.packets.marks.size > 0) seg.push(sep, { text: `marked ${this.packets.marks.size}`, attr: t.statusAccent });
    if (st.loading && st.kind !== 'live') {
      const frac = st.totalBytes > 0 ? Math.min(1, st.bytesRead / st.totalBytes) : 0;
      const cells = 12, full = Math.round(frac * cells);
      seg.push(sep, { text: `loading ${'\u2588'.repeat(full)}${'\u2591'.repeat(cells - full)} ${Math.floor(frac * 100)}%`, attr: t.statusAccent });
    }
    if (st.kind === 'live') {
      seg.push(sep, { text: `${this.pps.toFixed(0)} pkt/s ${humanBytes(Math.round(this.bps))}/s`, attr: t.status });
      const drops = this.live?.drops() ?? null;
      seg.push(sep, { text: `drops ${drops === null ? 'unknown' : drops}`, attr: t.status });
      if (!st.loading) seg.push(sep, { text: 'capture stopped', attr: t.statusAccent });
    }
    if (this.packets.list.follow && this.packets.list.atEnd && st.kind === 'live') seg.push(sep, { text: 'following', attr: t.statusAccent });
    seg.push(sep, { text: `time: ${TIME_FORMAT_NAMES[this.packets.timeFormat]}`, attr: t.status });
    if (st.error) seg.push(sep, { text: sanitizeText(st.error), attr: t.promptInvalid });
    if (this.message) seg.push(sep, { text: this.message, attr: t.statusAccent });
    if (this.asking) {
      // The question replaces everything else: it is what the next key answers.
      const n = st.count - this.savedCount;
      return [{ text: ` Quit: ${n} captured packet${n === 1 ? ' is' : 's are'} not saved \u2014 s save  d discard and quit  c cancel `, attr: t.promptInvalid }];
    }
    return seg;
  }

  flash(message: string): void {
    this.message = sanitizeText(message);
    if (this.messageTimer) clearTimeout(this.messageTimer);
    this.messageTimer = setTimeout(() => {
      this.message = '';
      this.requestRender();
    }, MESSAGE_MS);
    this.requestRender();
  }

  // ---------------------------------------------------------------- store and selection

  private storeChanged(): void {
    this.selectingByFollow = true;
    try {
      this.packets.list.refreshCount();
    } finally {
      this.selectingByFollow = false;
    }
    if (this.filterRun !== null && !this.filterDoneNoted) this.scheduleFilterStep();
    if (this.overlay === 'io') this.scheduleIoStep();
    // New rows get their colours before they are first drawn, as far as a short slice goes.
    const run = this.colourRun;
    if (run !== null && !run.done && run.scanned < this.colourWanted()) run.step(performance.now() + COLOUR_FIRST_MS);
    this.scheduleColourStep();
    if (this.selectOnLoad >= 0 && this.selectOnLoad < this.store.count && this.filterRun === null) {
      this.packets.list.select(Math.min(this.packets.positionOf(this.selectOnLoad), this.packets.count() - 1));
      this.selectOnLoad = -1;
    }
    if (this.details.packet < 0 && this.packets.count() > 0) this.selectionChanged();
    if (!this.store.loading && this.store.loadedAt > 0) {
      this.traceLine(`loaded count=${this.store.count}`);
      if (this.trace !== null && !this.memoryTraced) {
        // Where the memory of a loaded capture sits, for bench-ui: the index and per-stream tables are ArrayBuffers.
        this.memoryTraced = true;
        const m = process.memoryUsage();
        this.traceLine(`memory rss=${m.rss} heapUsed=${m.heapUsed} heapTotal=${m.heapTotal} arrayBuffers=${m.arrayBuffers}`);
      }
    }
    this.requestRender();
  }

  private selectionChanged(): void {
    if (this.selectingByFollow) {
      const wait = this.detailsShownAt + FOLLOW_DETAILS_MS - performance.now();
      if (wait > 0) {
        this.followTimer ??= setTimeout(() => {
          this.followTimer = null;
          this.selectionChanged();
        }, wait);
        return;
      }
    }
    if (this.followTimer !== null) {
      clearTimeout(this.followTimer);
      this.followTimer = null;
    }
    // The details need a replay of the packet's stream: done after the list is drawn, once per burst of keys.
    if (this.detailsPending) return;
    this.detailsPending = true;
    setImmediate(() => {
      this.detailsPending = false;
      // quit() may have closed the store since (a live capture ending schedules one last selection)
      if (this.quitting) return;
      const p = this.packets.selectedPacket();
      if (p !== this.details.packet) {
        this.details.show(p);
        this.detailsShownAt = performance.now();
        this.requestRender(true);
      }
    });
  }

  private setFocus(p: Pane): void {
    this.focus = p;
    this.requestRender();
  }

  // ---------------------------------------------------------------- colouring rules

  /** Use these colouring rules (read before the screen opened, src/ui/colours.ts). */
  setColours(c: ColourRules): void {
    this.colourRun?.close();
    this.colours = c;
    this.colourRun = null;
    this.colourCompiled = null;
    this.packets.colourOf = (i, cls) => this.rowAttr(i, cls);
    this.scheduleColourStep();
  }

  /** The run that finds each packet's rule, made at the first step (after the first screen). */
  private ensureColourRun(): ColourRun | null {
    if (this.colourRun !== null || this.colours === null) return this.colourRun;
    const c = compileColourRules(this.colours);
    this.colourCompiled = c;
    this.colourAttrs = c.rules.map((r) => ruleAttr(this.theme, r.bg, r.fg));
    this.colourRun = new ColourRun(this.store, c.filters);
    if (c.skipped.length > 0) this.flash(`colouring rules left out (${c.skipped.length}): ${c.skipped.join('; ')}`);
    return this.colourRun;
  }

  private rowAttr(i: number, cls: RowClass): number {
    if (!this.colouring) return PLAIN;
    // Without colour the rules cannot show: the row's class gives its attributes.
    if (this.theme.mode === 'none') return this.theme.rows[cls];
    const r = this.colourRun?.ruleOf(i) ?? -1;
    return r > 0 ? this.colourAttrs[r - 1] : PLAIN;
  }

  /** Name of packet i's colouring rule, '' when none matched (or it is not known yet). */
  colourRuleName(i: number): string {
    const r = this.colourRun?.ruleOf(i) ?? -1;
    return r > 0 && this.colourCompiled !== null ? this.colourCompiled.rules[r - 1].name : '';
  }

  /** Rows up to which colours are wanted now: while a file is indexed, the ones on screen. */
  private colourWanted(): number {
    if (!(this.store.loading && this.store.kind === 'file')) return this.store.count;
    const l = this.packets.list, n = this.packets.count();
    return n === 0 ? 0 : this.packets.packetAt(Math.min(n - 1, l.top + l.pageSize)) + 1;
  }

  private scheduleColourStep(): void {
    if (this.colourTimer !== null || this.colours === null) return;
    const run = this.colourRun;
    if (run !== null && (run.done || run.scanned >= this.colourWanted())) return;
    // While a file is indexed, this thread takes in the indexing process's rows: colouring then
    // goes only as far as the screen, the rest once the file is in. Replaying every packet
    // meanwhile took the thread from the rows, and the full count of 1 M packets came later.
    this.colourTimer = setImmediate(() => {
      this.colourTimer = null;
      if (this.quitting) return;
      const r = this.ensureColourRun();
      if (r === null) return;
      r.step(performance.now() + COLOUR_SLICE_MS);
      if (r.done) this.traceLine(`colours-done count=${this.store.count}`);
      this.requestRender();
      this.scheduleColourStep();
    });
  }

  // ---------------------------------------------------------------- filters

  private checkFilter(expr: string): FilterCheckResult {
    if (!hooks.compileFilter) return { ok: false, column: 0, reason: 'display filters are not available in this build' };
    try {
      hooks.compileFilter(expr);
      return { ok: true, column: 0, reason: '' };
    } catch (e) {
      const msg = (e as Error).message;
      const m = /column (\d+):?\s*(.*)$/.exec(msg);
      return m ? { ok: false, column: Number(m[1]), reason: m[2] || msg } : { ok: false, column: 0, reason: msg };
    }
  }

  private compile(expr: string): DisplayFilter | null {
    if (hooks.compileFilter) return hooks.compileFilter(expr);
    // Without the filter module, the one filter the UI itself makes still works.
    const m = /^tcp\.stream (?:==|eq) (\d+)$/.exec(expr);
    if (m) {
      const n = Number(m[1]);
      return (d) => d.tcp.stream === n;
    }
    return null;
  }

  applyFilter(expr: string): void {
    const keep = this.packets.selectedPacket();
    this.cancelFilter();
    if (expr === '') {
      this.packets.filter = null;
      this.packets.list.select(Math.max(0, keep));
      this.requestRender(true);
      return;
    }
    let fn: DisplayFilter | null;
    try {
      fn = this.compile(expr);
    } catch (e) {
      this.flash((e as Error).message);
      return;
    }
    if (fn === null) {
      this.flash('display filters are not available in this build');
      return;
    }
    this.traceLine(`filter-start expr=${JSON.stringify(expr)}`);
    this.saveSetting(RECENT_COMMON_FILE, RECENT_FILTER_KEY, this.filterBar.history.slice(0, MAX_RECENT_FILTERS));
    this.filterRun = new FilterRun(this.store, expr, fn);
    this.filterDoneNoted = false;
    this.packets.filter = this.filterRun;
    this.packets.list.selected = 0;
    this.packets.list.top = 0;
    this.wantPacket = keep;
    this.scheduleFilterStep();
    this.requestRender(true);
  }

  private cancelFilter(): void {
    if (this.filterTimer) clearImmediate(this.filterTimer);
    this.filterTimer = null;
    if (this.filterRun !== null) {
      const wasDone = this.filterRun.done;
      this.filterRun.cancel();
      if (!wasDone) {
        // A cancelled filter shows everything again; the prompt holds what is being typed.
        const keep = this.packets.selectedPacket();
        this.packets.filter = null;
        this.filterRun = null;
        this.packets.list.select(Math.max(0, keep));
        this.flash('filter cancelled');
      }
      this.filterRun = null;
      this.packets.filter = null;
    }
  }

  private scheduleFilterStep(): void {
    if (this.filterTimer !== null || this.filterRun === null) return;
    this.filterTimer = setImmediate(() => {
      this.filterTimer = null;
      const run = this.filterRun;
      if (run === null || run.cancelled) return;
      const before = run.matches.length;
      run.step(performance.now() + FILTER_SLICE_MS);
      if (this.wantPacket >= 0) {
        // Keep the packet that was selected before filtering if it is shown, else the next one shown.
        const pos = run.matches.lowerBound(this.wantPacket);
        if (pos < run.matches.length || run.done) {
          this.packets.list.select(Math.min(pos, Math.max(0, run.matches.length - 1)));
          if (pos < run.matches.length || run.done) this.wantPacket = -1;
        }
      } else if (run.matches.length !== before) {
        this.packets.list.refreshCount();
      }
      if (run.done) {
        this.filterDoneNoted = true;
        this.traceLine(`filter-done matches=${run.matches.length}`);
        if (run.matches.length === 0) this.flash('no packet matches the filter');
        this.selectionChanged();
      }
      this.requestRender();
      // Caught up with a live capture (or a file still loading): the next packets, or the end of
      // loading, schedule the next step (storeChanged). Stepping on meanwhile spun a core at 100%.
      if (!run.done && run.scanned < this.store.count) this.scheduleFilterStep();
    });
  }

  private gotoPacket(text: string): void {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) return;
    if (n > this.store.count) {
      this.flash(`there are ${this.store.count} packets`);
      return;
    }
    const pos = this.packets.positionOf(n - 1);
    this.packets.list.select(Math.min(pos, this.packets.count() - 1));
    if (this.packets.selectedPacket() !== n - 1) this.flash(`packet ${n} is not shown by the filter; the next one shown is selected`);
    this.requestRender(true);
  }

  // ---------------------------------------------------------------- find, marks, related packets

  /** Whether packet i is in the list (the display filter shows it). */
  private isShown(i: number): boolean {
    if (this.packets.filter === null) return i >= 0 && i < this.store.count;
    const pos = this.packets.positionOf(i);
    return pos < this.packets.count() && this.packets.packetAt(pos) === i;
  }

  private selectPacket(i: number): void {
    this.packets.list.select(this.packets.positionOf(i));
  }

  /** Start a find: every kind becomes a filter run, so it sees what display filters see. */
  private find(kind: FindKind, text: string): void {
    let fn: DisplayFilter | null;
    let expr: string;
    try {
      if (kind === 'display filter') {
        expr = text;
        fn = this.compile(text);
      } else if (kind === 'hex bytes') {
        const hex = text.replace(/[\s:.-]/g, '').toLowerCase();
        expr = `frame contains ${hex.match(/../g)!.join(':')}`;
        fn = this.compile(expr);
      } else if (kind === 'string in details') {
        // Wireshark's find in the packet details: the text of every node of the tree, opened or not
        // (a tree is built for every packet tested: slower than the other kinds).
        expr = `string in details ${JSON.stringify(text)}`;
        fn = (d) => detailsContain(buildDetails(d), text);
      } else {
        // A string is looked for in the packet's bytes and in its Protocol and Info columns, as
        // Wireshark's find in the packet list and bytes does.
        expr = `frame contains "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        const bytes = this.compile(expr);
        fn = bytes === null ? null : (d) => bytes(d) || infoColumn(d).includes(text) || protocolColumn(d).includes(text);
      }
    } catch (e) {
      this.flash((e as Error).message);
      return;
    }
    if (fn === null) {
      this.flash('find needs the display filters, which this build does not have');
      return;
    }
    this.cancelFind();
    this.findRun = new FilterRun(this.store, expr, fn);
    this.findLabel = `${kind} ${sanitizeText(text)}`;
    this.findAgain(1);
  }

  private cancelFind(): void {
    if (this.findTimer !== null) clearImmediate(this.findTimer);
    this.findTimer = null;
    this.findRun?.cancel();
    this.findRun = null;
    this.findWant = null;
  }

  private findAgain(dir: 1 | -1): void {
    if (this.findRun === null) {
      this.flash('nothing to find yet: Ctrl-F');
      return;
    }
    this.findWant = { from: this.packets.selectedPacket(), dir };
    this.resolveFind();
  }

  /** Select the match the last n / N asked for, once the run has tested far enough; wraps at the ends. */
  private resolveFind(): void {
    const run = this.findRun, want = this.findWant;
    if (run === null || want === null) return;
    const m = run.matches;
    // Every packet there is now has been tested: during a live capture, find searches what has been
    // captured so far (waiting for packets still to come kept a core busy and the key unanswered).
    const searched = run.done || run.scanned >= this.store.count;
    let found = -1, wrapped = false;
    if (want.dir === 1) {
      for (let k = m.lowerBound(want.from + 1); k < m.length && found < 0; k++) if (this.isShown(m.get(k))) found = m.get(k);
      if (found < 0 && searched) {
        wrapped = true;
        for (let k = 0; k < m.length && m.get(k) <= want.from && found < 0; k++) if (this.isShown(m.get(k))) found = m.get(k);
      }
    } else if (run.scanned > want.from || searched) {
      for (let k = m.lowerBound(want.from) - 1; k >= 0 && found < 0; k--) if (this.isShown(m.get(k))) found = m.get(k);
      if (found < 0 && searched) {
        wrapped = true;
        for (let k = m.length - 1; k >= 0 && m.get(k) >= want.from && found < 0; k--) if (this.isShown(m.get(k))) found = m.get(k);
      }
    }
    if (found >= 0) {
      this.findWant = null;
      this.selectPacket(found);
      this.flash(`found ${this.findLabel}: frame ${found + 1}${wrapped ? ` (search wrapped to the ${want.dir === 1 ? 'first' : 'last'} packet)` : ''}`);
      this.requestRender(true);
      return;
    }
    if (searched) {
      this.findWant = null;
      this.flash(`no packet shown matches ${this.findLabel}`);
      return;
    }
    this.findTimer ??= setImmediate(() => {
      this.findTimer = null;
      if (this.quitting || this.findRun !== run) return;
      run.step(performance.now() + FILTER_SLICE_MS);
      this.resolveFind();
    });
  }

  private gotoMark(dir: 1 | -1): void {
    const marks = this.packets.markedPackets().filter((i) => this.isShown(i));
    if (marks.length === 0) {
      this.flash('no marked packet is shown (m marks one)');
      return;
    }
    const from = this.packets.selectedPacket();
    const next = dir === 1 ? marks.find((i) => i > from) ?? marks[0] : [...marks].reverse().find((i) => i < from) ?? marks[marks.length - 1];
    this.selectPacket(next);
  }

  /** The packets the selected one refers to: its fields that name a frame (FT_FRAMENUM), as Wireshark links them. */
  private relatedPackets(): { label: string; frame: number }[] {
    const d = this.details.dissection;
    if (d === null) return [];
    const out: { label: string; frame: number }[] = [];
    for (const f of allFields()) {
      if (f.ftype !== 'FT_FRAMENUM' || f.num === undefined) continue;
      const n = f.count(d);
      for (let k = 0; k < n; k++) out.push({ label: f.label, frame: f.num(d, k) });
    }
    return out;
  }

  private gotoRelated(): void {
    const rel = this.relatedPackets().filter((r) => r.frame >= 1 && r.frame <= this.store.count);
    if (rel.length === 0) {
      this.flash('this packet refers to no other packet');
      return;
    }
    const r = rel[0];
    this.selectPacket(r.frame - 1);
    this.flash(`${r.label} ${r.frame}${this.isShown(r.frame - 1) ? '' : ' (not shown by the filter: the next shown is selected)'}`);
  }

  // ---------------------------------------------------------------- saving

  private suggestedSaveName(): string {
    return this.store.kind === 'file' ? '' : `tcpwatch-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.pcapng`;
  }

  /** The packets a save of this kind writes, in order. */
  private packetsToSave(kind: SaveKind, range: PacketRange | null): number[] {
    if (kind === 'marked packets') return this.packets.markedPackets();
    if (kind === 'first to last marked') {
      const marked = this.packets.markedPackets();
      const out: number[] = [];
      if (marked.length > 0) for (let i = marked[0]; i <= marked[marked.length - 1]; i++) out.push(i);
      return out;
    }
    if (kind === 'packet range') return range === null ? [] : packetsInRange(range, this.store.count);
    const n = kind === 'all packets' ? this.store.count : this.packets.count();
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = kind === 'all packets' ? k : this.packets.packetAt(k);
    return out;
  }

  /** Write packets to a pcap or pcapng file (by its name, as -w); the file then reads back with the same packets. */
  save(kind: SaveKind, text: string): void {
    let file = text, range: PacketRange | null = null;
    if (kind === 'packet range') {
      const parts = splitRangeAndFile(text);
      const r = parsePacketRange(parts.range, this.store.count);
      if (typeof r === 'string' || parts.file === '') {
        this.quitAfterSave = false;
        this.flash(typeof r === 'string' ? r : 'a packet range is saved to the file named after it: 1-10,20- out.pcap');
        return;
      }
      file = parts.file;
      range = r;
    }
    const list = this.packetsToSave(kind, range);
    if (list.length === 0) {
      this.flash(`no ${kind} to save`);
      this.quitAfterSave = false;
      return;
    }
    const ix = this.store.index;
    const first = ix.chunks[list[0] >>> CHUNK_BITS];
    const link = ix.links[first.link[list[0] & CHUNK_MASK]];
    const f = new CapturedFrame();
    try {
      const w = openOutputFile(file, link !== undefined ? link.linkType : 1);
      try {
        for (const i of list) if (this.store.frameOf(i, f)) w.write(f);
      } finally {
        w.close();
      }
    } catch (e) {
      this.quitAfterSave = false;
      this.flash(e instanceof UsageError ? e.message : writeErrorForUser(file, e).message);
      return;
    }
    if (kind === 'all packets') this.savedCount = this.store.count;
    const what = kind === 'packet range' ? `packet${list.length === 1 ? '' : 's'} in ${text.trim().split(/\s+/)[0]}`
      : kind === 'first to last marked' ? `packet${list.length === 1 ? '' : 's'} from the first to the last marked`
      : `${kind.replace(/ packets$/, '')} packet${list.length === 1 ? '' : 's'}`;
    this.flash(`saved ${list.length} ${what} to ${file}`);
    if (this.quitAfterSave) void this.quit();
  }

  /** q: a live capture whose packets are only in the temporary spool asks before they are lost. */
  private askQuit(): void {
    const unsaved = this.store.kind === 'live' && this.opts.write === undefined && this.store.count > this.savedCount;
    if (!unsaved) {
      void this.quit();
      return;
    }
    this.asking = true;
    this.requestRender(true);
  }

  private answerQuit(id: string): void {
    if (id === 's' || id === 'S') {
      this.asking = false;
      this.quitAfterSave = true;
      this.filterBar.start('save', this.suggestedSaveName());
      this.filterBar.kind = 0; // all packets
    } else if (id === 'd' || id === 'D') {
      this.asking = false;
      void this.quit();
      return;
    } else if (id === 'c' || id === 'C' || id === 'escape' || id === 'q') {
      this.asking = false;
    }
    this.requestRender(true);
  }

  /** Write the followed stream's payload as it was sent: no headings, no hex, nothing escaped (it goes to a file, not the terminal). */
  private exportPayload(kind: ExportKind, file: string): void {
    this.textView.title.el.setFront();
    const f = this.followed;
    if (f === null) return;
    const side = kind === 'client bytes' ? Side.Client : kind === 'server bytes' ? Side.Server : -1;
    const data = followSaved(f.result, this.followEncoding, side);
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
      try {
        fs.writeSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      this.flash(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return;
    }
    this.flash(`saved ${data.length} bytes of ${f.protocol.toLowerCase()}.stream ${f.stream} (${kind}), ${followModeName(f.result)} as ${this.followEncoding}, to ${file}`);
  }

  /**
   * The mode m turns Follow to: TLS (decrypted), HTTP, each HTTP/2 stream, TCP (wire) in turn,
   * passing over TLS on a stream without TLS records, HTTP where no message was read and HTTP/2
   * where no HTTP/2 stream was; null when only TCP is left.
   */
  private nextFollowMode(r: FollowResult): FollowMode | null {
    if (r.mode === 'http2') {
      const later = (r.substreams ?? []).find((id) => id > (r.substream ?? -1));
      if (later !== undefined) {
        this.followNext = followDecoded(this.store, r.stream, 'http2', undefined, later);
        return 'http2';
      }
    }
    const order: FollowMode[] = ['tls', 'http', 'http2', 'wire'];
    const at = order.indexOf(r.mode);
    for (let k = 1; k < order.length; k++) {
      const mode = order[(at + k) % order.length];
      if (mode === 'tls' && !r.isTls) continue;
      if (mode === 'http') {
        const h = followDecoded(this.store, r.stream, 'http');
        if (h.segments.length === 0) continue;
        this.followNext = h;
      }
      if (mode === 'http2') {
        const h = followDecoded(this.store, r.stream, 'http2');
        if (h.substream === undefined || h.substream < 0) continue;
        this.followNext = h;
      }
      return mode;
    }
    return null;
  }

  /** K: read the capture again with this key log (the caller reopens it: see reloadWithKeylog). */
  private loadKeylog(file: string): void {
    if (file === '') return;
    try {
      fs.accessSync(file, fs.constants.R_OK);
      if (!fs.statSync(file).isFile()) throw new Error('not a file');
    } catch (e) {
      // The reason first: a long path would push it past the status bar's edge.
      this.flash(`key log not loaded (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${file}`);
      return;
    }
    // The profile keeps it, as Wireshark's preferences keep tls.keylog_file: the next start decrypts too.
    this.saveKeylogSetting(file);
    if (this.store.kind === 'live') {
      // The capture goes on: what it holds so far is read again with the key log, and so is what
      // follows (lines the clients append later decrypt their connections too).
      this.opts.keylog = file;
      this.store.reindexLive({ ...this.opts });
      this.packets.forgetRows();
      if (this.colours !== null) this.setColours(this.colours);
      this.applyFilter(this.displayFilter);
      const p = this.packets.selectedPacket();
      if (p >= 0) this.details.show(p);
      this.flash(`${this.store.count} packets read again with the key log ${file}`);
      return;
    }
    this.reloadWithKeylog = file;
    void this.quit();
  }

  /** D: the prompt, with the selected packet's lower port (the one Wireshark tries first) filled in. */
  private startDecodeAs(): void {
    if (this.store.kind !== 'file') {
      this.flash('D reads a capture file again with a Decode As rule; for live capture start with -d');
      return;
    }
    const sel = this.packets.selectedPacket();
    const d = (this.portsOf ??= new Dissection());
    if (sel < 0 || !this.store.load(sel, d) || (d.tcpOff < 0 && d.udpOff < 0)) {
      this.flash('decode as: the selected packet has no TCP or UDP port');
      return;
    }
    const port = Math.min(d.srcPort, d.dstPort) || Math.max(d.srcPort, d.dstPort);
    this.filterBar.start('decodeAs', `${d.tcpOff >= 0 ? 'tcp' : 'udp'}.port==${port},`);
  }

  /** A Decode As rule the prompt checked: read the capture again with it after those given before. */
  private decodeAs(rule: string): void {
    if (rule === '') return;
    this.reloadWithDecodeAs = [...(this.opts.decodeAs ?? []), rule];
    void this.quit();
  }

  selectPacketWhenLoaded(packet: number): void {
    this.selectOnLoad = packet;
  }

  /** The display filter in use ('' for none), for a reopened capture to keep. */
  get displayFilter(): string {
    return this.filterRun?.expression ?? '';
  }

  /** The packet selected (-1 for none), for a reopened capture to select again. */
  get selectedPacket(): number {
    return this.packets.selectedPacket();
  }

  /** What else a capture read again (K) keeps of the user's work: the packets are the same ones. */
  get kept(): KeptWork {
    return { marks: this.packets.markedPackets(), refs: [...this.packets.refs], timeFormat: this.packets.timeFormat, colouring: this.colouring, columns: this.packets.columns };
  }

  keep(k: KeptWork): void {
    for (const i of k.marks) this.packets.toggleMark(i);
    for (const i of k.refs) this.packets.toggleRef(i);
    this.packets.timeFormat = k.timeFormat;
    this.colouring = k.colouring;
    this.packets.setColumns(k.columns);
  }

  // ---------------------------------------------------------------- profile, columns, copying

  /** The profile's columns (or -o gui.column.format's, which come after its own), widths, time format and recent filters. */
  private loadProfile(): void {
    const p = this.profile;
    let specs;
    try {
      specs = columnsFromPrefs(this.opts.pref ?? []);
    } catch (e) {
      // checked on the command line; a profile edited since is reported and the defaults kept
      this.flash((e as Error).message);
    }
    if (specs !== undefined) {
      // Widths are kept by position, for the columns they were saved with.
      const saved = parseStringList(p.setting(RECENT_FILE, COLUMN_WIDTH_KEY) ?? '');
      const widthAt = (k: number): number | null => {
        if (saved.length !== specs!.length * 2 || saved[2 * k] !== formatCode(specs![k])) return null;
        const w = Number(saved[2 * k + 1]);
        return Number.isInteger(w) && w >= 1 && w <= 1000 ? w : null;
      };
      this.packets.setColumns(specs.map((spec, k) => ({ spec, width: widthAt(k) })));
    }
    const t = TIME_FORMAT_KEYS.indexOf(p.setting(RECENT_FILE, TIME_FORMAT_KEY) ?? '');
    if (t >= 0) this.packets.timeFormat = t as TimeFormat;
    for (const f of p.recentFilters().reverse()) this.filterBar.remember(f);
  }

  /** Write a setting to the profile; a profile that cannot be written is said once in the status bar, the UI goes on. */
  private saveSetting(file: string, key: string, values: readonly string[]): void {
    const err = this.profile.write(file, key, values);
    if (err !== null && !this.profileWriteFailed) this.flash(err);
    // A live capture that gave up root may not write root's profile: said once, not at every filter.
    if (err !== null) this.profileWriteFailed = true;
  }

  private saveKeylogSetting(file: string): void {
    this.saveSetting(PREFERENCES_FILE, 'tls.keylog_file', [file]);
  }

  /** The columns changed: the profile keeps them (as Wireshark's preferences do) and their widths (as its recent file does). */
  private columnsChanged(): void {
    const cols = this.packets.columns;
    this.saveSetting(PREFERENCES_FILE, COLUMN_FORMAT_PREF, [columnFormatText(cols.map((c) => c.spec))]);
    this.saveSetting(RECENT_FILE, COLUMN_WIDTH_KEY, [cols.map((c) => `"${formatCode(c.spec)}", "${c.width ?? 'auto'}"`).join(', ')]);
  }

  /** A: the selected details field as a column after the picked one (Wireshark's Apply as Column). */
  private applyAsColumn(): void {
    const n = this.details.selectedNode();
    const f = n === null ? undefined : getField(n.name);
    if (n === null || f === undefined || f.textNode === true || n.name.startsWith('_')) {
      this.flash('apply as column: the selected line is not a field with a name');
      return;
    }
    this.packets.addColumn(customColumn(f));
    this.flash(`column ${f.label} (${f.name}) added`);
    this.columnsChanged();
  }

  /** y: what the copy prompt asked for, as text. */
  private copyText(kind: CopyKind): string | null {
    const p = this.details.packet;
    if (p < 0) return null;
    if (kind === 'field value') {
      const n = this.details.selectedNode(), d = this.details.dissection;
      const f = n === null ? undefined : getField(n.name);
      if (n === null || d === null || f === undefined || f.textNode === true || n.index >= f.count(d)) return null;
      return sanitizeText(formatField(f, d, n.index));
    }
    if (kind === 'packet summary') {
      const values: string[] = [];
      this.packets.rowValues(p, values);
      return layColumns(this.packets.columns.map((c) => c.spec), values);
    }
    const bytes = this.details.frameBytes;
    return hexDumpLines(bytes, 0, bytes.length).join('\n');
  }

  /** Copy to a file, or with no name to the terminal's clipboard through OSC 52. */
  private copy(kind: CopyKind, file: string): void {
    const text = this.copyText(kind);
    if (text === null) {
      this.flash(kind === 'field value' ? 'copy: select a field in the details pane first' : 'copy: no packet is selected');
      return;
    }
    if (file !== '') {
      try {
        const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
        try {
          fs.writeSync(fd, text + '\n');
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        this.flash(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        return;
      }
      this.flash(`copied the ${kind} (${text.length} characters) to ${file}`);
      return;
    }
    if (!this.osc52) {
      this.flash('copy: a file name is needed without --osc52 (the clipboard through the terminal)');
      return;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > MAX_OSC52_BYTES) {
      this.flash(`copy: ${bytes.length} bytes is more than a terminal's clipboard takes (${MAX_OSC52_BYTES}); give a file name`);
      return;
    }
    // OSC 52: the text travels base64-encoded, so nothing in it can act on the terminal; "c" is the clipboard.
    this.screen.program.write(`\x1b]52;c;${bytes.toString('base64')}\x07`);
    this.flash(`copied the ${kind} (${text.length} characters) to the clipboard`);
  }

  // ---------------------------------------------------------------- overlays

  private openOverlay(o: Overlay, stream = -1): void {
    const t0 = performance.now();
    const h = this.screen.height - 1;
    const sel = this.packets.selectedPacket();
    this.closeOverlay(false);
    switch (o) {
      case 'help':
        this.textView.setTitle([{ text: ' Help', attr: this.theme.titleFocused }], [{ text: 'Esc/q: back ', attr: this.theme.titleFocused }]);
        this.textView.show(helpLines(this.theme, this.colours === null || this.colourCompiled === null ? null : {
          file: this.colours.file,
          rows: this.colourCompiled.rules.map((r, k) => ({ text: `  ${sanitizeText(r.name).padEnd(32)} ${sanitizeText(r.filter)}`, attr: this.colourAttrs[k] })),
        }), h);
        break;
      case 'follow': {
        if (sel < 0) return;
        const ix = this.store.index;
        const c = ix.chunks[sel >>> CHUNK_BITS], j = sel & CHUNK_MASK;
        let r: FollowResult;
        if (c.stream[j] !== NO_STREAM) r = followStream(this.store, c.stream[j]);
        else if (isUdpRow(c.proto[j], c.stream[j])) r = followUdp(this.store, sel);
        else {
          this.flash('follow: the selected packet is not part of a TCP or UDP stream');
          return;
        }
        if (r.protocol === 'TCP') {
          // A TLS conversation a key log opens is followed in plaintext, as the user wants to read it.
          const again = this.followAt.stream === r.stream;
          const mode = again ? this.followAt.mode : r.isTls ? 'tls' : 'wire';
          const next = this.followNext;
          this.followNext = null;
          if (next !== null && next.stream === r.stream && next.mode === mode) {
            r = next;
          } else if (mode !== 'wire') {
            const decoded = followDecoded(this.store, r.stream, mode, undefined, mode === 'http2' ? this.followAt.substream : -1);
            if (decoded.segments.length > 0 || again) r = decoded;
          }
          this.followAt = { stream: r.stream, mode: r.mode, substream: r.substream ?? -1 };
        }
        this.followed = { protocol: r.protocol, stream: r.stream, result: r };
        const lines = followLines(r, Math.max(20, this.screen.width - 4), this.followEncoding).map((l) => ({ text: l.text, attr: followAttr(this.theme, l.side) }));
        const nextEncoding = FOLLOW_ENCODINGS[(FOLLOW_ENCODINGS.indexOf(this.followEncoding) + 1) % FOLLOW_ENCODINGS.length];
        this.textView.setTitle(
          [
            { text: ` Follow ${followName(r)} (${this.followEncoding})  `, attr: this.theme.titleFocused },
            { text: `client ${r.client} \u2192 ${r.clientBytes} bytes`, attr: this.theme.follow[0] },
            { text: '  ', attr: this.theme.titleFocused },
            { text: `server ${r.server} \u2192 ${r.serverBytes} bytes`, attr: this.theme.follow[1] },
          ],
          [{
            text: `${r.protocol === 'TCP' ? 'm: mode  ' : ''}a: ${nextEncoding}  Esc/q: back, showing ${followFilter(r)} `,
            attr: this.theme.titleFocused,
          }],
        );
        this.textView.show(lines, h);
        break;
      }
      case 'compare': {
        // The stream of a conversation chosen in C, else of the selected packet.
        let st = stream;
        if (st < 0 && sel >= 0) st = this.store.index.chunks[sel >>> CHUNK_BITS].stream[sel & CHUNK_MASK];
        if (st < 0 || st === NO_STREAM) {
          this.flash('compare: the selected packet is not part of a TCP stream');
          return;
        }
        const c = compareStream(this.store, st);
        this.textView.setTitle(compareTitle(c, this.theme), [{ text: 'Esc/q: back ', attr: this.theme.titleFocused }]);
        const rows = compareRows(c, this.theme, this.screen.width);
        this.textView.show(rows, h);
        // E on a packet opens the view at that packet's segment.
        if (stream < 0) {
          const at = rows.findIndex((r) => r.text.startsWith(`\u2500\u2500 frame ${sel + 1} \u00b7`));
          if (at > 0) this.textView.list.top = Math.min(at, Math.max(0, rows.length - this.textView.list.pageSize));
        }
        break;
      }
      case 'explain': {
        // The ladder of the selected packet's stream, with a sentence per packet (as --explain prints it).
        const st = sel >= 0 ? this.store.index.chunks[sel >>> CHUNK_BITS].stream[sel & CHUNK_MASK] : NO_STREAM;
        if (st === NO_STREAM) {
          this.flash('explain: the selected packet is not part of a TCP stream');
          return;
        }
        const { explainer, truncated } = explainStream(this.store, st, this.store.nanosecond ? 9 : 6);
        const lines = ladderLines(explainer).map((text, i) => ({ text: sanitizeText(text), attr: i < 2 ? this.theme.helpKey : this.theme.help }));
        if (truncated) lines.push({ text: '(the first packets of a longer stream)', attr: this.theme.help });
        this.textView.setTitle([{ text: ` Explain TCP stream ${st}`, attr: this.theme.titleFocused }], [{ text: 'Esc/q: back ', attr: this.theme.titleFocused }]);
        this.textView.show(lines, h);
        const at = explainer.rows.findIndex((r) => r.number === sel + 1);
        if (at > 0) this.textView.list.top = Math.min(at, Math.max(0, lines.length - this.textView.list.pageSize));
        break;
      }
      case 'conversations': {
        const s = sel >= 0 ? this.store.index.chunks[sel >>> CHUNK_BITS].stream[sel & CHUNK_MASK] : 0;
        // What the display filter shows (so far, while it runs), as tshark -z conv,tcp,FILTER counts.
        const run = this.filterRun;
        this.conversations.show(h, Math.max(0, s), run?.matches ?? null, run === null ? '' : run.done ? run.expression : `${run.expression} (still filtering)`);
        break;
      }
      case 'stats': {
        const run = this.filterRun;
        this.stats.show(h, run?.matches ?? null, run === null ? '' : run.done ? run.expression : `${run.expression} (still filtering)`);
        break;
      }
      case 'graph': {
        // The selected packet's stream; the direction that carries its data, or the busier one.
        const st = sel >= 0 ? this.store.index.chunks[sel >>> CHUNK_BITS].stream[sel & CHUNK_MASK] : NO_STREAM;
        if (st === NO_STREAM) {
          this.flash('stream graph: the selected packet is not part of a TCP stream');
          return;
        }
        const g = this.graph.graph;
        const dir = stream >= 0 && g !== null && g.stream === st ? (stream as 0 | 1) : graphDirection(this.store, st, sel);
        this.graph.show(st, dir, h);
        break;
      }
      case 'io':
        this.ioGraph.show(this.newIoRun(), h);
        this.scheduleIoStep();
        break;
      default:
        return;
    }
    this.overlay = o;
    this.status.el.setFront();
    this.requestRender(true);
    this.traceLine(`opened ${o} ms=${(performance.now() - t0).toFixed(3)}`);
  }

  private closeOverlay(render = true): void {
    // Leaving Follow stream filters the list to that stream, as Wireshark's Follow does.
    const followed = this.overlay === 'follow' ? this.followed : null;
    this.followed = null;
    this.textView.hide();
    this.conversations.hide();
    this.stats.hide();
    this.graph.hide();
    this.ioGraph.hide();
    this.ioGraph.run?.close();
    this.ioGraph.run = null;
    this.overlay = 'none';
    if (followed !== null) this.applyFilter(followFilter(followed.result));
    if (render) this.requestRender(true);
  }

  // ---------------------------------------------------------------- the I/O graph

  /**
   * A count of the I/O graph's lines at its interval: the first line is the display filter in use,
   * compiled once by the filter run that shows it (none: every packet), the others the user's.
   */
  private newIoRun(): IoGraphRun {
    const run = this.filterRun;
    const first: IoGraphLine = run === null ? { expression: '', filter: null } : { expression: run.expression, filter: run.filter };
    const iv = IO_GRAPH_INTERVALS[this.ioGraph.interval];
    return new IoGraphRun(this.store, iv.us, iv.precision, [first, ...this.ioLines]);
  }

  /** Count again (lines or interval changed), keeping the view where it is. */
  private recountIo(): void {
    if (this.ioTimer !== null) clearImmediate(this.ioTimer);
    this.ioTimer = null;
    this.ioGraph.replace(this.newIoRun());
    this.scheduleIoStep();
  }

  private scheduleIoStep(): void {
    if (this.ioTimer !== null) return;
    const run = this.ioGraph.run;
    if (run === null || run.closed) return;
    this.ioTimer = setImmediate(() => {
      this.ioTimer = null;
      if (this.ioGraph.run !== run || this.overlay !== 'io') return;
      run.step(performance.now() + FILTER_SLICE_MS);
      this.ioGraph.update();
      if (run.done) this.traceLine(`io-graph-done lines=${run.lines.length} intervals=${run.io.intervals}`);
      this.requestRender();
      // As the filter run: once caught up with a live capture, new packets schedule the next step.
      if (run.scanned < this.store.count) this.scheduleIoStep();
    });
  }

  private addIoLine(text: string): void {
    this.ioGraph.title.el.setFront();
    if (this.overlay !== 'io') return;
    if (1 + this.ioLines.length >= IO_LINE_MARKERS.length) {
      this.flash(`the I/O graph draws at most ${IO_LINE_MARKERS.length} lines; - removes the last one`);
      return;
    }
    let filter: DisplayFilter | null = null;
    if (text !== '') {
      try {
        filter = this.compile(text);
      } catch (e) {
        this.flash((e as Error).message);
        return;
      }
      if (filter === null) {
        this.flash('display filters are not available in this build');
        return;
      }
      this.filterBar.remember(text);
    }
    this.ioLines.push({ expression: text, filter });
    this.recountIo();
    this.requestRender(true);
  }

  private ioGraphKey(action: Action): void {
    const v = this.ioGraph;
    switch (action) {
      case 'scrollRight': v.move(1); break;
      case 'scrollLeft': v.move(-1); break;
      case 'pageDown': v.page(1); break;
      case 'pageUp': v.page(-1); break;
      case 'first': v.home(); break;
      case 'last': v.end(); break;
      case 'ioUnit':
        v.unit = v.unit === 'packets' ? 'bytes' : 'packets';
        v.update();
        break;
      case 'ioShorter': case 'ioLonger': {
        const next = v.interval + (action === 'ioLonger' ? 1 : -1);
        if (next < 0 || next >= IO_GRAPH_INTERVALS.length) return;
        v.interval = next;
        this.recountIo();
        break;
      }
      case 'ioAddLine':
        // the prompt is the top line, which the view's title covers while it is open
        this.filterBar.start('ioLine', '');
        this.filterBar.el.setFront();
        break;
      case 'ioRemoveLine':
        if (this.ioLines.length === 0) {
          this.flash('the first line is the display filter in use (/ in the packet list changes it)');
          return;
        }
        this.ioLines.pop();
        this.recountIo();
        break;
      default: return;
    }
    this.requestRender(true);
  }

  // ---------------------------------------------------------------- keys

  private onKey(ch: string | undefined, key: KeyEvent | undefined): void {
    if (this.quitting) return;
    this.traceLine(`key ${JSON.stringify(key?.full ?? ch)}`);
    if (key?.full === 'C-c') {
      void this.quit();
      return;
    }
    if (this.asking) {
      this.answerQuit(keyId(ch, key));
      return;
    }
    if (this.filterBar.mode !== 'idle') {
      if (key) this.filterBar.key(ch, key);
      this.requestRender(true);
      return;
    }
    const id = keyId(ch, key);
    if (this.overlay !== 'none') {
      this.overlayKey(id);
      return;
    }
    const where: Binding['where'][] = this.focus === 'details' ? ['global', 'panes', 'details'] : ['global', 'panes'];
    const action = actionFor(id, where);
    if (action === null) return;
    this.paneAction(action);
  }

  private overlayKey(id: string): void {
    if (this.overlay === 'conversations') {
      const a = actionFor(id, ['views']), v = this.conversations;
      if (a === 'switchTab' || a === 'prevTab' || a === 'sortNext' || a === 'sortReverse') {
        const t0 = performance.now();
        if (a === 'switchTab' || a === 'prevTab') v.switchTab(a === 'switchTab' ? 1 : -1);
        else if (a === 'sortNext') v.nextSortColumn();
        else v.reverseSort();
        this.requestRender(true);
        this.traceLine(`handled ${a} ms=${(performance.now() - t0).toFixed(3)}`);
        return;
      }
      const st = v.streamAt(v.list.selected);
      if (v.mode === 'conversations' && v.kind === 'tcp' && st >= 0 && actionFor(id, ['panes']) === 'compare') {
        this.openOverlay('compare', st);
        return;
      }
    }
    const action = actionFor(id, ['global', 'views']);
    if (action === null) return;
    if (action === 'close') {
      this.closeOverlay();
      return;
    }
    if (action === 'help') {
      this.openOverlay('help');
      return;
    }
    if (action === 'redraw') {
      this.redraw();
      return;
    }
    if (action === 'exportPayload') {
      if (this.overlay !== 'follow' || this.followed === null) return;
      // the prompt is the top line, which the view's title covers while it is open
      this.filterBar.start('export', '');
      this.filterBar.el.setFront();
      this.requestRender(true);
      return;
    }
    if (action === 'switchTab' && this.overlay === 'graph') {
      this.graph.nextType();
      this.requestRender(true);
      return;
    }
    // m means what the view showing makes of it (in the packet list it marks: see paneAction).
    if (action === 'followMode' && this.overlay === 'graph' && this.graph.graph !== null) {
      // Reopened on the same stream, the other way round (openOverlay's stream argument carries the direction).
      this.openOverlay('graph', this.graph.graph.direction === 0 ? 1 : 0);
      return;
    }
    if (action === 'followMode' && this.overlay === 'follow') {
      const f = this.followed;
      if (f === null || f.protocol !== 'TCP') return;
      const mode = this.nextFollowMode(f.result);
      if (mode === null) {
        this.flash(`follow: tcp.stream ${f.stream} carries no TLS, HTTP or HTTP/2 to show instead of its TCP bytes`);
        return;
      }
      this.followAt.mode = mode;
      // The same stream again, another way: not a leaving of Follow, so no filter is applied yet.
      this.followed = null;
      this.openOverlay('follow');
      return;
    }
    if (action === 'followEncoding' && this.overlay === 'follow') {
      if (this.followed === null) return;
      this.followEncoding = FOLLOW_ENCODINGS[(FOLLOW_ENCODINGS.indexOf(this.followEncoding) + 1) % FOLLOW_ENCODINGS.length];
      this.followNext = this.followed.result;
      this.followed = null;
      this.openOverlay('follow');
      return;
    }
    if (this.overlay === 'io') {
      this.ioGraphKey(action);
      return;
    }
    if (action === 'scrollRight' || action === 'scrollLeft') {
      if (this.overlay === 'graph' || this.overlay === 'stats') return;
      // a third of the screen at a time: enough to bring the next columns in, keeping some in view
      const l = this.overlay === 'conversations' ? this.conversations.list : this.textView.list;
      l.scrollSideways((action === 'scrollRight' ? 1 : -1) * Math.max(8, Math.floor(this.screen.width / 3)));
      this.requestRender(true);
      return;
    }
    if (this.overlay === 'conversations') {
      const l = this.conversations.list;
      this.moveList(l, action);
      if (action === 'activate') {
        const f = this.conversations.filterAt(l.selected);
        if (f !== null) this.conversations.onChoose?.(f);
      }
    } else if (this.overlay === 'help' || this.overlay === 'follow' || this.overlay === 'compare' || this.overlay === 'explain') {
      const v = this.textView;
      switch (action) {
        case 'down': v.scroll(1); break;
        case 'up': v.scroll(-1); break;
        case 'pageDown': v.page(1); break;
        case 'pageUp': v.page(-1); break;
        case 'first': v.home(); break;
        case 'last': v.end(); break;
        default: break;
      }
    }
    this.requestRender(true);
  }

  private moveList(l: { move(n: number): void; pageDown(): void; pageUp(): void; home(): void; end(): void }, action: Action): void {
    switch (action) {
      case 'down': l.move(1); break;
      case 'up': l.move(-1); break;
      case 'pageDown': l.pageDown(); break;
      case 'pageUp': l.pageUp(); break;
      case 'first': l.home(); break;
      case 'last': l.end(); break;
      default: break;
    }
  }

  private paneAction(action: Action): void {
    const t0 = performance.now();
    switch (action) {
      case 'quit': this.askQuit(); return;
      case 'help': this.openOverlay('help'); return;
      case 'follow': this.openOverlay('follow'); return;
      case 'compare': this.openOverlay('compare'); return;
      case 'explain': this.openOverlay('explain'); return;
      // C opens the conversations, H the endpoints: one view with the same tabs
      case 'conversations': this.conversations.setMode('conversations'); this.openOverlay('conversations'); return;
      case 'endpoints': this.conversations.setMode('endpoints'); this.openOverlay('conversations'); return;
      case 'stats': this.openOverlay('stats'); return;
      case 'streamGraph': this.openOverlay('graph'); return;
      case 'ioGraph': this.openOverlay('io'); return;
      case 'bytesTab':
        if (!this.details.nextTab()) this.flash('this packet has no decrypted TLS records');
        break;
      case 'keylog':
        if (this.store.kind === 'stdin') {
          this.flash('K reads the capture again with a key log: standard input cannot be read again');
          return;
        }
        this.filterBar.start('keylog', this.opts.keylog ?? '');
        break;
      case 'decodeAs': this.startDecodeAs(); break;
      case 'filter': this.filterBar.start('filter'); break;
      case 'goto': this.filterBar.start('goto'); break;
      case 'clearFilter': this.applyFilter(''); return;
      case 'time':
        this.packets.cycleTime();
        this.saveSetting(RECENT_FILE, TIME_FORMAT_KEY, [TIME_FORMAT_KEYS[this.packets.timeFormat]]);
        break;
      case 'applyColumn': this.applyAsColumn(); break;
      case 'prevColumn': case 'nextColumn':
        this.packets.pickColumn(action === 'nextColumn' ? 1 : -1);
        this.flash(`column ${this.packets.picked + 1}: ${this.packets.columns[this.packets.picked].spec.title} ({ } move, - + width, Delete removes)`);
        break;
      case 'moveColumnLeft': case 'moveColumnRight':
        if (this.packets.picked < 0) this.flash('pick a column first: < or >');
        else if (this.packets.movePicked(action === 'moveColumnRight' ? 1 : -1)) this.columnsChanged();
        break;
      case 'narrowColumn': case 'widenColumn':
        if (this.packets.picked < 0) this.flash('pick a column first: < or >');
        else {
          const w = this.packets.resizePicked(action === 'widenColumn' ? 1 : -1, this.screen.width);
          this.flash(`${this.packets.columns[this.packets.picked].spec.title}: ${w} cells wide`);
          this.columnsChanged();
        }
        break;
      case 'removeColumn': {
        const gone = this.packets.picked < 0 ? null : this.packets.removePicked();
        if (gone === null) this.flash(this.packets.picked < 0 ? 'pick a column first: < or >' : 'the last column stays');
        else {
          this.flash(`column ${gone.spec.title} removed`);
          this.columnsChanged();
        }
        break;
      }
      case 'copy': this.filterBar.start('copy', ''); break;
      case 'timeRef': {
        const p = this.packets.selectedPacket();
        if (p >= 0) this.flash(this.packets.toggleRef(p) ? `frame ${p + 1} is a time reference` : `frame ${p + 1} is no longer a time reference`);
        break;
      }
      case 'find': this.filterBar.start('find'); break;
      case 'findNext': this.findAgain(1); break;
      case 'findPrev': this.findAgain(-1); break;
      case 'mark': {
        const p = this.packets.selectedPacket();
        if (p >= 0) this.packets.toggleMark(p);
        break;
      }
      case 'nextMark': this.gotoMark(1); break;
      case 'prevMark': this.gotoMark(-1); break;
      case 'related': this.gotoRelated(); break;
      case 'save': this.filterBar.start('save', this.suggestedSaveName()); break;
      case 'nameResolution': {
        // Both kinds the list's addresses can name together, as -N mn; ports stay as the capture was read.
        const on = !(nameResolution.mac || nameResolution.network);
        nameResolution.mac = nameResolution.network = on;
        this.packets.namesChanged();
        this.flash(on ? 'name resolution on: MAC and network names' : 'name resolution off');
        break;
      }
      case 'colour':
        this.colouring = !this.colouring;
        this.flash(this.colouring ? 'colouring rules on' : 'colouring rules off');
        break;
      case 'redraw': this.redraw(); return;
      case 'nextPane': this.focus = this.focus === 'list' ? 'details' : this.focus === 'details' ? 'bytes' : 'list'; break;
      case 'prevPane': this.focus = this.focus === 'list' ? 'bytes' : this.focus === 'bytes' ? 'details' : 'list'; break;
      default:
        if (this.focus === 'list') {
          this.moveList(this.packets.list, action);
        } else if (this.focus === 'details') {
          const tree = this.details.tree;
          switch (action) {
            case 'activate': tree.toggle(); break;
            case 'expand': tree.setExpanded(true); break;
            case 'collapse': tree.setExpanded(false); break;
            case 'expandAll': tree.setAll(true); break;
            case 'collapseAll': tree.setAll(false); break;
            default: this.moveList(tree.list, action);
          }
          this.details.refreshHighlight();
        } else {
          const hex = this.details.hex;
          if (action === 'down') hex.scroll(1);
          else if (action === 'up') hex.scroll(-1);
          else if (action === 'pageDown') hex.scroll(8);
          else if (action === 'pageUp') hex.scroll(-8);
        }
    }
    this.render();
    this.traceLine(`handled ${action} ms=${(performance.now() - t0).toFixed(3)}`);
    // rows scrolled into view while a file loads get their colours
    this.scheduleColourStep();
  }

  private redraw(): void {
    this.screen.program.flush();
    (this.screen as unknown as { alloc(): void }).alloc();
    this.requestRender(true);
  }

  // ---------------------------------------------------------------- live rates

  startRates(bytesOf: () => number): void {
    this.rateAt = performance.now();
    this.rateTimer = setInterval(() => {
      const now = performance.now();
      const dt = (now - this.rateAt) / 1000;
      const count = this.store.count, bytes = bytesOf();
      this.pps = (count - this.rateCount) / dt;
      this.bps = (bytes - this.rateBytes) / dt;
      this.rateAt = now;
      this.rateCount = count;
      this.rateBytes = bytes;
      this.requestRender();
    }, 1000);
  }

  // ---------------------------------------------------------------- lifetime

  /** Draw the first screen and run until the user quits. */
  run(): Promise<void> {
    this.render();
    return new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    this.cancelFilter();
    if (this.renderTimer) clearTimeout(this.renderTimer);
    if (this.rateTimer) clearInterval(this.rateTimer);
    if (this.messageTimer) clearTimeout(this.messageTimer);
    if (this.followTimer) clearTimeout(this.followTimer);
    if (this.colourTimer) clearImmediate(this.colourTimer);
    this.colourRun?.close();
    this.cancelFind();
    if (this.live !== null) await this.live.stop();
    this.screen.destroy();
    this.store.close();
    if (this.trace !== null) fs.closeSync(this.trace);
    this.resolveDone?.();
  }
}

/** Whether a node of the details tree, or one under it, has `text` in its line. */
function detailsContain(nodes: DetailNode[], text: string): boolean {
  for (const n of nodes) if (n.text.includes(text) || detailsContain(n.children, text)) return true;
  return false;
}
