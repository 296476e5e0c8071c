// The packet list: the store's rows (all packets, or the matches of the display filter) as a
// virtual list. Only the rows on screen are formatted; the ones formatted recently are cached.

import * as blessed from 'blessed';
import { PacketStore } from '../../store/packet-store';
import { FilterRun } from '../../store/filter-run';
import { describeRow, RowText, TimeFormat, RowClass, secondsText, severalInterfaces, interfaceLabel } from '../../store/rows';
import { CHUNK_BITS, CHUNK_MASK } from '../../store/columns';
import { Dissection } from '../../decode/dissection';
import { VirtualList, ListRow, ListSource } from '../widgets/virtual-list';
import { Theme } from '../theme';
import { sanitizeText } from '../../output/sanitize';
import { ColumnSpec, DEFAULT_COLUMN_FORMAT, parseColumnFormat, customValue } from '../../output/column-format';

const CACHE_ROWS = 4096;
const INTERFACE_HEADER = 'Interface';
/** Longer interface names (an ssh:// URL) are cut: the addresses and Info matter more. */
const MAX_INTERFACE_WIDTH = 24;

/** A column of the list: what it shows and its width in cells (null: the width the list chooses). */
export interface ListColumn {
  spec: ColumnSpec;
  width: number | null;
}

/** Narrowest a column can be made, and the width a custom column starts with. */
export const MIN_COLUMN_WIDTH = 3;
const CUSTOM_WIDTH = 12;
/** An Info column that is not the last one: the width it gets before cutting. */
const INFO_WIDTH = 40;

const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, Math.max(0, n - 1)) + '\u2026' : s.padEnd(n));
const cutStart = (s: string, n: number): string => (s.length > n ? s.slice(0, Math.max(0, n - 1)) + '\u2026' : s.padStart(n));

export class PacketListView implements ListSource {
  readonly list: VirtualList;
  timeFormat = TimeFormat.Relative;
  /** The running or finished display filter; null shows every packet. */
  filter: FilterRun | null = null;
  private readonly text = new RowText();
  private readonly values: string[] = [];
  private readonly d = new Dissection();
  /** The row attribute of packet i (its colouring rule's colours, or its class's attributes). */
  colourOf: (i: number, cls: RowClass) => number;
  private cache = new Map<number, { text: string; cls: RowClass }>();
  /** Marked packets (m), as Wireshark marks them: for saving and for going from one to the next. */
  readonly marks = new Set<number>();
  /** Time references (t), ascending: relative times count from the latest one at or before a packet. */
  readonly refs: number[] = [];
  private refsVersion = 0;
  private cacheKey = '';
  /** The columns, left to right (Wireshark's defaults until a profile or -o gui.column.format says otherwise). */
  columns: ListColumn[] = parseColumnFormat(DEFAULT_COLUMN_FORMAT).map((spec) => ({ spec, width: null }));
  /** Bumped whenever the columns change, so rows laid out for the old ones are not reused. */
  private columnsVersion = 0;
  /** The column the column keys move, resize and remove (-1: none picked yet). */
  picked = -1;

  constructor(readonly store: PacketStore, theme: Theme, pos: blessed.Position & { parent: blessed.Screen | blessed.Element }) {
    this.list = new VirtualList(this, { ...pos, gutter: true });
    this.list.selectedAttr = theme.selected;
    this.list.markerAttr = theme.marker;
    this.colourOf = (_i, cls) => theme.rows[cls];
    this.list.gutterCell = (k, selected) => (!selected && this.marks.has(this.packetAt(k)) ? { ch: '\u25cf', attr: theme.marker } : null);
  }

  toggleMark(i: number): boolean {
    if (this.marks.has(i)) this.marks.delete(i);
    else this.marks.add(i);
    return this.marks.has(i);
  }

  /** Marked packets in order. */
  markedPackets(): number[] {
    return [...this.marks].sort((a, b) => a - b);
  }

  toggleRef(i: number): boolean {
    const at = this.refs.indexOf(i);
    if (at >= 0) this.refs.splice(at, 1);
    else {
      this.refs.push(i);
      this.refs.sort((a, b) => a - b);
    }
    this.refsVersion++;
    return at < 0;
  }

  /** The latest time reference at or before packet i, or -1. */
  private refFor(i: number): number {
    let lo = 0, hi = this.refs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.refs[mid] <= i) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? this.refs[lo - 1] : -1;
  }

  /** The Time column of packet i: in relative time, counted from its time reference ("*REF*" on the reference itself). */
  private timeOf(i: number, text: string): string {
    if (this.timeFormat !== TimeFormat.Relative || this.refs.length === 0) return text;
    const ref = this.refFor(i);
    if (ref < 0) return text;
    if (ref === i) return '*REF*';
    const ix = this.store.index;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK, rc = ix.chunks[ref >>> CHUNK_BITS], rj = ref & CHUNK_MASK;
    return secondsText(c.tsSec[j] - rc.tsSec[rj], c.tsNsec[j] - rc.tsNsec[rj], this.store.nanosecond ? 9 : 6);
  }

  count(): number {
    return this.filter !== null ? this.filter.matches.length : this.store.count;
  }

  /** Packet index shown at list position k. */
  packetAt(k: number): number {
    return this.filter !== null ? this.filter.matches.get(k) : k;
  }

  /** List position of packet i, or of the first shown packet after it. */
  positionOf(i: number): number {
    return this.filter !== null ? this.filter.matches.lowerBound(i) : i;
  }

  selectedPacket(): number {
    return this.count() > 0 ? this.packetAt(this.list.selected) : -1;
  }

  /** The width each column gets on a screen `width` cells wide; the last column takes what is left. */
  private widths(width: number): number[] {
    const digits = this.store.nanosecond ? 9 : 6;
    const auto = (c: ColumnSpec): number => {
      switch (c.kind) {
        case 'number': return Math.max(6, String(this.store.count).length + 1);
        case 'time':
          return this.timeFormat === TimeFormat.Absolute ? 20 + digits : this.timeFormat === TimeFormat.Epoch ? 11 + digits : 6 + digits;
        case 'source': case 'destination': return Math.max(15, Math.min(39, Math.floor(width * 0.14)));
        case 'protocol': return 8;
        case 'length': return 6;
        case 'info': return INFO_WIDTH;
        case 'custom': return Math.max(CUSTOM_WIDTH, Math.min(24, c.title.length));
      }
    };
    return this.columns.map((c) => c.width ?? auto(c.spec));
  }

  /**
   * The Interface column's width, or 0 when the packets come from one interface (no column). It is
   * not one of the profile's columns: it appears after the first Time column whenever a capture
   * merges several interfaces, wide enough for the longest name seen (up to MAX_INTERFACE_WIDTH).
   */
  private interfaceWidth(): number {
    const ix = this.store.index;
    if (!severalInterfaces(ix)) return 0;
    let w = INTERFACE_HEADER.length;
    for (let id = 0; id < ix.links.length; id++) {
      const l = ix.links[id];
      if (l !== undefined) w = Math.max(w, Math.min(MAX_INTERFACE_WIDTH, interfaceLabel(l.ifIndex).length));
    }
    return w;
  }

  /** The column after which the Interface column goes (the first Time column, else the first), or -1 for none. */
  private interfaceAfter(iface: number): number {
    if (iface === 0 || this.columns.length < 2) return -1;
    const t = this.columns.findIndex((c) => c.spec.kind === 'time');
    return t >= 0 && t < this.columns.length - 1 ? t : 0;
  }

  /** Name resolution was turned on or off: rows laid out with the old names are not reused. */
  namesChanged(): void {
    this.cache.clear();
  }

  /** Change the columns (the caller saves them to the profile). */
  setColumns(columns: ListColumn[]): void {
    this.columns = columns;
    this.picked = Math.min(this.picked, columns.length - 1);
    this.columnsVersion++;
    this.cache.clear();
  }

  /** Add a column after the picked one (at the end when none is picked) and pick it. */
  addColumn(spec: ColumnSpec): void {
    const at = this.picked >= 0 ? this.picked + 1 : this.columns.length;
    const next = [...this.columns];
    next.splice(at, 0, { spec, width: null });
    this.setColumns(next);
    this.picked = at;
  }

  /** Pick the next (1) or previous (-1) column, wrapping. */
  pickColumn(dir: 1 | -1): void {
    const n = this.columns.length;
    this.picked = this.picked < 0 ? (dir === 1 ? 0 : n - 1) : (this.picked + dir + n) % n;
    this.columnsVersion++;
  }

  /** Move the picked column one place left or right; false when it cannot go further. */
  movePicked(dir: 1 | -1): boolean {
    const k = this.picked, to = k + dir;
    if (k < 0 || to < 0 || to >= this.columns.length) return false;
    const next = [...this.columns];
    [next[k], next[to]] = [next[to], next[k]];
    this.setColumns(next);
    this.picked = to;
    return true;
  }

  /** Make the picked column `by` cells wider (narrower when negative), from the width it has on a `screenWidth` screen. */
  resizePicked(by: number, screenWidth: number): number {
    const k = this.picked;
    if (k < 0) return -1;
    const now = this.widths(screenWidth)[k];
    const w = Math.max(MIN_COLUMN_WIDTH, Math.min(screenWidth, now + by));
    const next = [...this.columns];
    next[k] = { ...next[k], width: w };
    this.setColumns(next);
    return w;
  }

  /** Remove the picked column (the last one stays); returns it, or null. */
  removePicked(): ListColumn | null {
    const k = this.picked;
    if (k < 0 || this.columns.length <= 1) return null;
    const gone = this.columns[k];
    this.setColumns(this.columns.filter((_c, i) => i !== k));
    if (this.picked >= this.columns.length) this.picked = this.columns.length - 1;
    return gone;
  }

  header(width: number): string {
    const w = this.widths(width);
    const iface = this.interfaceWidth(), ifaceAfter = this.interfaceAfter(iface);
    let out = '';
    for (let k = 0; k < this.columns.length; k++) {
      const c = this.columns[k];
      // The picked column's title in brackets: the one the column keys act on.
      // Titles come from a profile or the command line: sanitized as packet text is.
      const title = sanitizeText(k === this.picked ? `[${c.spec.title}]` : c.spec.title);
      if (k > 0) out += ' ';
      if (k === this.columns.length - 1) out += title;
      else out += c.spec.kind === 'number' || c.spec.kind === 'length' ? cutStart(title, w[k]) : cut(title, w[k]);
      if (k === ifaceAfter) out += ' ' + INTERFACE_HEADER.padEnd(iface);
    }
    return out;
  }

  row(k: number, width: number): ListRow {
    const w = this.widths(width);
    // Cached rows are laid out for one set of column widths (the No. column widens as a file loads).
    const iface = this.interfaceWidth(), ifaceAfter = this.interfaceAfter(iface);
    const key = `${width}/${this.timeFormat}/${w.join(',')}/${iface}/${this.refsVersion}/${this.columnsVersion}`;
    if (key !== this.cacheKey) {
      this.cache.clear();
      this.cacheKey = key;
    }
    const i = this.packetAt(k);
    // Colours are looked up at every draw: a packet's colouring rule can be found after its text was cached.
    const hit = this.cache.get(i);
    if (hit !== undefined) return { text: hit.text, attr: this.colourOf(i, hit.cls) };
    const values = this.values;
    const cls = this.rowValues(i, values);
    let text = '';
    for (let c = 0; c < this.columns.length; c++) {
      const spec = this.columns[c].spec, v = values[c];
      if (c > 0) text += ' ';
      if (c === this.columns.length - 1) text += v;
      else text += spec.kind === 'number' || spec.kind === 'length' ? cutStart(v, w[c]) : cut(v, w[c]);
      if (c === ifaceAfter) text += ' ' + cut(this.text.iface, iface);
    }
    if (this.cache.size >= CACHE_ROWS) this.cache.clear();
    this.cache.set(i, { text, cls });
    return { text, attr: this.colourOf(i, cls) };
  }

  /** The text of each column for packet i, into `out` (sanitized); returns the row's class. */
  rowValues(i: number, out: string[]): RowClass {
    const r = this.text;
    describeRow(this.store, i, this.timeFormat, r, this.d);
    let loaded: Dissection | null = null;
    out.length = this.columns.length;
    for (let c = 0; c < this.columns.length; c++) {
      const spec = this.columns[c].spec;
      let v: string;
      switch (spec.kind) {
        case 'number': v = r.no; break;
        case 'time': v = this.timeOf(i, r.time); break;
        case 'source': v = r.src; break;
        case 'destination': v = r.dst; break;
        case 'protocol': v = r.protocol; break;
        case 'length': v = r.length; break;
        case 'info': v = r.info; break;
        case 'custom':
          loaded ??= this.loadForColumns(i);
          v = customValue(spec, loaded);
          if (v === '' && this.hasAppSummary(i)) {
            // A field of a layer the analysis builds over the stream (TLS, HTTP): the frame alone lacks it.
            loaded = this.store.replay(i);
            v = customValue(spec, loaded);
          }
          break;
      }
      out[c] = v;
    }
    return r.cls;
  }

  private loadForColumns(i: number): Dissection {
    this.store.load(i, this.d);
    return this.d;
  }

  /** Whether the index holds an application summary for packet i (a layer above the transport). */
  private hasAppSummary(i: number): boolean {
    const app = this.store.index.chunks[i >>> CHUNK_BITS].app[i & CHUNK_MASK];
    return app !== 0;
  }

  /** Forget the rows formatted so far (the packets were read again: a key log turns TLS rows into HTTP). */
  forgetRows(): void {
    this.cache.clear();
  }

  cycleTime(): void {
    this.timeFormat = ((this.timeFormat + 1) % 4) as TimeFormat;
  }
}
