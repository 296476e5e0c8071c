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

const CACHE_ROWS = 4096;
const INTERFACE_HEADER = 'Interface';
/** Longer interface names (an ssh:// URL) are cut: the addresses and Info matter more. */
const MAX_INTERFACE_WIDTH = 24;

interface Widths {
  no: number;
  time: number;
  /** The Interface column's width; 0 when the packets come from one interface (no column). */
  iface: number;
  addr: number;
  proto: number;
  len: number;
}

export class PacketListView implements ListSource {
  readonly list: VirtualList;
  timeFormat = TimeFormat.Relative;
  /** The running or finished display filter; null shows every packet. */
  filter: FilterRun | null = null;
  private readonly text = new RowText();
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

  private widths(width: number): Widths {
    const digits = this.store.nanosecond ? 9 : 6;
    let time: number;
    switch (this.timeFormat) {
      case TimeFormat.Absolute: time = 20 + digits; break;
      case TimeFormat.Epoch: time = 11 + digits; break;
      default: time = 6 + digits;
    }
    const addr = Math.max(15, Math.min(39, Math.floor(width * 0.14)));
    return { no: Math.max(6, String(this.store.count).length + 1), time, iface: this.interfaceWidth(), addr, proto: 8, len: 6 };
  }

  /** Wide enough for the longest interface name seen (up to MAX_INTERFACE_WIDTH), or 0 for one interface. */
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

  header(width: number): string {
    const w = this.widths(width);
    return `${'No.'.padStart(w.no)} ${'Time'.padEnd(w.time)} ${w.iface > 0 ? `${INTERFACE_HEADER.padEnd(w.iface)} ` : ''}` +
      `${'Source'.padEnd(w.addr)} ${'Destination'.padEnd(w.addr)} ${'Protocol'.padEnd(w.proto)} ${'Length'.padStart(w.len)} Info`;
  }

  row(k: number, width: number): ListRow {
    const w = this.widths(width);
    // Cached rows are laid out for one set of column widths (the No. column widens as a file loads).
    const key = `${width}/${this.timeFormat}/${w.no}/${w.time}/${w.iface}/${this.refsVersion}`;
    if (key !== this.cacheKey) {
      this.cache.clear();
      this.cacheKey = key;
    }
    const i = this.packetAt(k);
    // Colours are looked up at every draw: a packet's colouring rule can be found after its text was cached.
    const hit = this.cache.get(i);
    if (hit !== undefined) return { text: hit.text, attr: this.colourOf(i, hit.cls) };
    const r = this.text;
    describeRow(this.store, i, this.timeFormat, r, this.d);
    const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '\u2026' : s.padEnd(n));
    const text = `${r.no.padStart(w.no)} ${cut(this.timeOf(i, r.time), w.time)} ${w.iface > 0 ? `${cut(r.iface, w.iface)} ` : ''}${cut(r.src, w.addr)} ${cut(r.dst, w.addr)} ` +
      `${cut(r.protocol, w.proto)} ${r.length.padStart(w.len)} ${r.info}`;
    if (this.cache.size >= CACHE_ROWS) this.cache.clear();
    this.cache.set(i, { text, cls: r.cls });
    return { text, attr: this.colourOf(i, r.cls) };
  }

  /** Forget the rows formatted so far (the packets were read again: a key log turns TLS rows into HTTP). */
  forgetRows(): void {
    this.cache.clear();
  }

  cycleTime(): void {
    this.timeFormat = ((this.timeFormat + 1) % 4) as TimeFormat;
  }
}
