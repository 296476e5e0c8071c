// The full-screen UI: wires the packet store (src/store/) to the widgets (src/ui/widgets/) through
// the views. Layout, top to bottom: display filter bar, packet list, details tree, bytes, status
// bar; Follow stream, Conversations, Statistics and Help open over it.

import type * as blessed from 'blessed';
import { screen } from './widgets/blessed-core';
import type { KeyEvent } from 'blessed';
import * as fs from 'node:fs';
import { hooks, MainOptions } from '../hooks';
import { DisplayFilter } from '../pipeline';
import { PacketStore } from '../store/packet-store';
import { FilterRun } from '../store/filter-run';
import { followStream, followLines, FollowResult } from '../store/follow';
import { followTlsStream } from '../store/follow-tls';
import { compareStream } from '../store/compare';
import { explainStream } from '../store/explain';
import { ladderLines } from '../reports/explain';
import { NO_STREAM, CHUNK_BITS, CHUNK_MASK } from '../store/columns';
import { TIME_FORMAT_NAMES } from '../store/rows';
import { sanitizeText } from '../output/sanitize';
import { chooseTheme, Theme, followAttr } from './theme';
import { actionFor, keyId, Action, Binding } from './keys';
import { PacketListView } from './views/packet-list';
import { DetailsView } from './views/details';
import { FilterBar, FilterCheckResult } from './views/filter-bar';
import { ConversationsView, humanBytes } from './views/conversations';
import { StatsView } from './views/stats';
import { StreamGraphView } from './views/stream-graph';
import { graphDirection } from '../store/stream-graph';
import { helpLines } from './views/help';
import { compareRows, compareTitle } from './views/compare';
import { Bar, Segment } from './widgets/bar';
import { TextView } from './widgets/text-view';

type Pane = 'list' | 'details' | 'bytes';
type Overlay = 'none' | 'help' | 'follow' | 'compare' | 'explain' | 'conversations' | 'stats' | 'graph';

/** What the status bar shows about a live capture (set by the live source). */
export interface LiveStatus {
  interfaceName: string;
  /** Frames the kernel or tcpwatch dropped, or null when unknown. */
  drops(): number | null;
  /** Stop capturing and flush any -w file; resolves once the file is complete. */
  stop(): Promise<void>;
}

const RENDER_INTERVAL_MS = 50;
/**
 * While the list follows new packets, the details pane (a replay of the newest packet's stream,
 * up to thousands of packets) is rebuilt at most this often. Rebuilt for every batch, as it was, it
 * took three quarters of the live UI's CPU and made most of its garbage (the 10-minute soak's UI
 * grew its V8 heap to 55 MiB and had spikes of 20-30 MiB; native-notes/long-runs.md), for a pane
 * nobody can read at 40 updates a second. A key or click that selects a packet shows it at once.
 */
const FOLLOW_DETAILS_MS = 500;
const FILTER_SLICE_MS = 15;
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
  focus: Pane = 'list';
  overlay: Overlay = 'none';
  live: LiveStatus | null = null;
  private filterRun: FilterRun | null = null;
  private filterTimer: NodeJS.Immediate | null = null;
  /** Packet to keep selected while a new filter's matches arrive. */
  private wantPacket = -1;
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
  /** Follow's stream and what it shows of it (TLS: decrypted application data; TCP: wire bytes). */
  private followAt = { stream: -1, mode: 'tcp' as 'tcp' | 'tls' };
  /**
   * A key log file to read the capture again with (K): run() resolves and the caller opens the
   * capture anew with it, so the list, filters and every view see the decrypted records.
   */
  reloadWithKeylog: string | null = null;
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
    this.filterBar.onSubmit = (mode, text) => (mode === 'filter' ? this.applyFilter(text) : mode === 'keylog' ? this.loadKeylog(text) : this.gotoPacket(text));
    this.filterBar.onCancel = () => this.requestRender();
    this.filterBar.onEdit = () => {
      // Typing a new expression cancels the one still running.
      if (this.filterRun !== null && !this.filterRun.done) this.cancelFilter();
    };
    this.conversations.onChoose = (stream) => {
      this.closeOverlay();
      this.applyFilter(`tcp.stream == ${stream}`);
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
    if (this.stats.visible) {
      this.stats.hide();
      this.stats.show(h - 1);
    }
    if (this.graph.visible) this.graph.resize(h - 1);
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
    this.detailsTitle.segments = [{ text: ` Packet details${sel >= 0 ? ` \u2014 frame ${sel + 1}` : ''}`, attr: titleAttr('details') }];
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
    const src = st.kind === 'live' ? `live: ${sanitizeText(this.live?.interfaceName ?? st.description)}` : `file: ${sanitizeText(st.description)}`;
    seg.push({ text: ` ${src}`, attr: t.statusAccent });
    if (this.captureFilter) seg.push(sep, { text: `capture filter: ${sanitizeText(this.captureFilter)}`, attr: t.status });
    if (this.opts.keylog) seg.push(sep, { text: `key log: ${sanitizeText(this.opts.keylog)}`, attr: t.status });
    if (this.filterRun) seg.push(sep, { text: `display filter: ${sanitizeText(this.filterRun.expression)}`, attr: t.status });
    seg.push(sep, { text: `shown ${this.packets.count()} / ${st.count}`, attr: t.statusAccent });
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
    if (this.filterRun !== null && !this.filterRun.done) this.scheduleFilterStep();
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
    const m = /^tcp\.stream == (\d+)$/.exec(expr);
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
    this.filterRun = new FilterRun(this.store, expr, fn);
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
        this.traceLine(`filter-done matches=${run.matches.length}`);
        if (run.matches.length === 0) this.flash('no packet matches the filter');
        this.selectionChanged();
      }
      this.requestRender();
      if (!run.done) this.scheduleFilterStep();
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
    this.reloadWithKeylog = file;
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

  // ---------------------------------------------------------------- overlays

  private openOverlay(o: Overlay, stream = -1): void {
    const h = this.screen.height - 1;
    const sel = this.packets.selectedPacket();
    this.closeOverlay(false);
    switch (o) {
      case 'help':
        this.textView.setTitle([{ text: ' Help', attr: this.theme.titleFocused }], [{ text: 'Esc/q: back ', attr: this.theme.titleFocused }]);
        this.textView.show(helpLines(this.theme), h);
        break;
      case 'follow': {
        if (sel < 0) return;
        const ix = this.store.index;
        const stream = ix.chunks[sel >>> CHUNK_BITS].stream[sel & CHUNK_MASK];
        if (stream === NO_STREAM) {
          this.flash('follow: the selected packet is not part of a TCP stream');
          return;
        }
        let r: FollowResult = followStream(this.store, stream);
        // A TLS conversation a key log opens is followed in plaintext, as the user wants to read it.
        const mode = this.followAt.stream === stream ? this.followAt.mode : r.isTls ? 'tls' : 'tcp';
        if (mode === 'tls') {
          const plain = followTlsStream(this.store, stream);
          if (plain.segments.length > 0 || this.followAt.stream === stream) r = plain;
        }
        this.followAt = { stream, mode: r.mode };
        const lines = followLines(r, Math.max(20, this.screen.width - 4)).map((l) => ({ text: l.text, attr: followAttr(this.theme, l.side) }));
        this.textView.setTitle(
          [
            { text: ` Follow ${r.mode === 'tls' ? 'TLS' : 'TCP'} stream ${stream}  `, attr: this.theme.titleFocused },
            { text: `client ${r.client} \u2192 ${r.clientBytes} bytes`, attr: this.theme.follow[0] },
            { text: '  ', attr: this.theme.titleFocused },
            { text: `server ${r.server} \u2192 ${r.serverBytes} bytes`, attr: this.theme.follow[1] },
          ],
          [{ text: `${r.isTls || r.mode === 'tls' ? `m: ${r.mode === 'tls' ? 'TCP (wire)' : 'TLS (decrypted)'}  ` : ''}Esc/q: back `, attr: this.theme.titleFocused }],
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
        this.conversations.show(h, Math.max(0, s));
        break;
      }
      case 'stats':
        this.stats.show(h);
        break;
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
      default:
        return;
    }
    this.overlay = o;
    this.status.el.setFront();
    this.requestRender(true);
  }

  private closeOverlay(render = true): void {
    this.textView.hide();
    this.conversations.hide();
    this.stats.hide();
    this.graph.hide();
    this.overlay = 'none';
    if (render) this.requestRender(true);
  }

  // ---------------------------------------------------------------- keys

  private onKey(ch: string | undefined, key: KeyEvent | undefined): void {
    if (this.quitting) return;
    this.traceLine(`key ${JSON.stringify(key?.full ?? ch)}`);
    if (key?.full === 'C-c') {
      void this.quit();
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
    if (this.overlay === 'conversations' && actionFor(id, ['panes']) === 'compare') {
      this.openOverlay('compare', this.conversations.list.selected);
      return;
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
    if (action === 'graphType' && this.overlay === 'graph') {
      this.graph.nextType();
      this.requestRender(true);
      return;
    }
    if (action === 'followMode' && this.overlay === 'graph' && this.graph.graph !== null) {
      // Reopened on the same stream, the other way round (openOverlay's stream argument carries the direction).
      this.openOverlay('graph', this.graph.graph.direction === 0 ? 1 : 0);
      return;
    }
    if (action === 'followMode' && this.overlay === 'follow') {
      this.followAt.mode = this.followAt.mode === 'tls' ? 'tcp' : 'tls';
      this.openOverlay('follow');
      return;
    }
    if (this.overlay === 'conversations') {
      const l = this.conversations.list;
      this.moveList(l, action);
      if (action === 'activate') this.conversations.onChoose?.(l.selected);
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
      case 'quit': void this.quit(); return;
      case 'help': this.openOverlay('help'); return;
      case 'follow': this.openOverlay('follow'); return;
      case 'compare': this.openOverlay('compare'); return;
      case 'explain': this.openOverlay('explain'); return;
      case 'conversations': this.openOverlay('conversations'); return;
      case 'stats': this.openOverlay('stats'); return;
      case 'streamGraph': this.openOverlay('graph'); return;
      case 'bytesTab':
        if (!this.details.nextTab()) this.flash('this packet has no decrypted TLS records');
        break;
      case 'keylog':
        if (this.store.kind !== 'file') {
          this.flash('K reads a capture file again with a key log; for live capture start with --keylog');
          return;
        }
        this.filterBar.start('keylog', this.opts.keylog ?? '');
        break;
      case 'filter': this.filterBar.start('filter'); break;
      case 'goto': this.filterBar.start('goto'); break;
      case 'clearFilter': this.applyFilter(''); return;
      case 'time': this.packets.cycleTime(); break;
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
    if (this.live !== null) await this.live.stop();
    this.screen.destroy();
    this.store.close();
    if (this.trace !== null) fs.closeSync(this.trace);
    this.resolveDone?.();
  }
}
