// The conversations (C) and endpoints (H) views, with Wireshark's tabs: Ethernet, IPv4, IPv6, TCP and
// UDP (Tab and Shift-Tab switch). TCP and UDP conversations come from the index columns, with each
// TCP stream's verdict (plaintext, encrypted, decrypted …) and payload entropy; the other tables are
// counted from the frames in slices (src/store/talkers.ts) when their tab is opened, as tshark's
// -z conv and -z endpoints count them. Every tab counts what the display filter shows. `s` sorts by
// the next column, `r` reverses; Enter filters the packet list to the row, E (TCP) compares its wire
// bytes with their meaning.

import * as blessed from 'blessed';
import { PacketStore } from '../../store/packet-store';
import { buildConversations, buildUdpConversations, ConversationTable, ConvFlag, PacketList } from '../../store/conversations';
import { TalkerCount } from '../../store/talkers';
import { ADDRESS_KINDS, AddressKind, KIND_TITLES, ConversationRow, EndpointRow, EndpointTable } from '../../reports/statistics/conversations';
import { sanitizeText } from '../../output/sanitize';
import { VirtualList, ListRow } from '../widgets/virtual-list';
import { Bar } from '../widgets/bar';
import { Theme } from '../theme';
import { PLAIN, fit } from '../widgets/paint';
import { RowClass } from '../../store/rows';
import { NOT_MEASURED } from '../../reports/verdict';
import { StreamVerdictTable } from '../../store/stream-tables';

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export type TalkerMode = 'conversations' | 'endpoints';

/** One column of a tab: its title and width, a row's text and what the row sorts by. */
interface Column {
  title: string;
  width: number;
  right: boolean;
  text(r: number): string;
  /** Numbers sort largest first, texts in order (digits as numbers: 10.0.0.9 before 10.0.0.10). */
  key(r: number): number | string;
}

/** The widest address shown: a full IPv6 address. */
const MAX_ADDRESS_W = 39;
/** Columns are as wide as their widest text (at least their title) in tables up to this many rows; larger ones keep the default widths. */
const MEASURED_ROWS = 10_000;
/** Slices of counting between keys, in milliseconds. */
const COUNT_SLICE_MS = 15;
const collator = new Intl.Collator('en', { numeric: true });

/** The longest verdict label of the table ("encrypted-without-keys (TLS 1.3)"), found per distinct verdict and version. */
function verdictWidth(v: StreamVerdictTable, n: number): number {
  let w = 'Verdict'.length;
  const seen = new Set<number>();
  for (let s = 0; s < Math.min(n, v.count); s++) {
    const key = v.labelKey(s);
    if (seen.has(key)) continue;
    seen.add(key);
    w = Math.max(w, v.label(s).length);
  }
  return w;
}

const num = (title: string, width: number, value: (r: number) => number, text: (v: number) => string = String): Column =>
  ({ title, width: Math.max(width, title.length), right: true, text: (r) => text(value(r)), key: value });

/** Columns shared by every conversations tab, from a row's counts: Packets … Duration, as Wireshark orders them. */
function countColumns(ab: (r: number) => number, abBytes: (r: number) => number, ba: (r: number) => number, baBytes: (r: number) => number,
  start: (r: number) => number, duration: (r: number) => number): Column[] {
  return [
    num('Packets', 8, (r) => ab(r) + ba(r)),
    num('Bytes', 10, (r) => abBytes(r) + baBytes(r), humanBytes),
    num('Pkts A\u2192B', 8, ab),
    num('Bytes A\u2192B', 10, abBytes, humanBytes),
    num('Pkts B\u2192A', 8, ba),
    num('Bytes B\u2192A', 10, baBytes, humanBytes),
    num('Rel Start', 11, start, (v) => v.toFixed(6)),
    num('Duration', 10, duration, (v) => v.toFixed(4)),
  ];
}

export class ConversationsView {
  readonly title: Bar;
  readonly list: VirtualList;
  mode: TalkerMode = 'conversations';
  /** Which tab; Tab and Shift-Tab switch. */
  kind: AddressKind = 'tcp';
  /** Column the rows are sorted by (-1: the table's own order: streams by number, others as their first packet came), and which way. */
  sortColumn = -1;
  descending = true;
  private columns: Column[] = [];
  /** Rows in the order shown (indices into the tab's table). */
  private order = new Int32Array(0);
  private rows = 0;
  /** TCP and UDP conversations: the index's table, and the stream of each row. */
  private table: ConversationTable | null = null;
  private streams: number[] = [];
  /** The other tabs: the count from the frames, in progress or done. */
  private count: TalkerCount | null = null;
  private timer: NodeJS.Immediate | null = null;
  private shown: PacketList | null = null;
  private filter = '';
  private height = 10;
  /** After a slice of counting: the owner draws again. */
  onUpdate: (() => void) | null = null;
  /** Enter on a row: a display filter for its packets. */
  onChoose: ((filter: string) => void) | null = null;

  constructor(parent: blessed.Screen, private readonly store: PacketStore, private readonly theme: Theme) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = theme.titleFocused;
    this.list = new VirtualList(
      {
        count: () => this.rows,
        row: (i) => this.row(i),
        header: () => this.columns.map((c) => fit(c.title, c.width, c.right)).join(' '),
      },
      { parent, top: 1, left: 0, width: '100%', height: 10, hidden: true, gutter: true },
    );
    this.list.focused = true;
    this.list.onActivate = (i) => {
      const f = this.filterAt(i);
      if (f !== null) this.onChoose?.(f);
    };
  }

  /** tcp.stream (TCP tab) or udp.stream (UDP tab) of list row i; -1 on the other tabs. */
  streamAt(i: number): number {
    if (this.table === null || i < 0 || i >= this.rows) return -1;
    return this.streams[this.order[i]] ?? -1;
  }

  /** What Enter applies: the stream, the pair of addresses, or the endpoint (with its port), as Wireshark's "Apply as Filter". */
  filterAt(i: number): string | null {
    if (i < 0 || i >= this.rows) return null;
    const r = this.order[i];
    if (this.table !== null) return this.kind === 'tcp' ? `tcp.stream == ${this.streamAt(i)}` : `udp.stream eq ${this.streamAt(i)}`;
    const t = this.count?.table;
    if (t === undefined) return null;
    const field = this.kind === 'eth' ? 'eth.addr' : this.kind === 'ipv6' ? 'ipv6.addr' : 'ip.addr';
    // addresses are tcpwatch's own formatting of the header bytes (hex digits, dots, colons)
    const addr = (a: string): string => (this.kind === 'tcp' || this.kind === 'udp') && a.includes(':') ? 'ipv6.addr' : field;
    const port = this.kind === 'tcp' ? 'tcp.port' : 'udp.port';
    const ports = this.kind === 'tcp' || this.kind === 'udp';
    if (t instanceof EndpointTable) {
      const p = t.rows[r].party;
      return `${addr(p.addr)} == ${p.addr}${ports ? ` && ${port} == ${p.port}` : ''}`;
    }
    const c = t.rows[r];
    return `${addr(c.a.addr)} == ${c.a.addr} && ${addr(c.b.addr)} == ${c.b.addr}${ports ? ` && ${port} == ${c.a.port} && ${port} == ${c.b.port}` : ''}`;
  }

  private row(i: number): ListRow {
    const r = this.order[i];
    const text = this.columns.map((c) => fit(c.text(r), c.width, c.right)).join(' ');
    const reset = this.table !== null && this.kind === 'tcp' && (this.table.flags[this.streams[r]] & ConvFlag.Rst) !== 0;
    return { text, attr: reset ? this.theme.rows[RowClass.Reset] : PLAIN };
  }

  /**
   * Show the view; with `shown` (the display filter's matches), only the packets it shows count, as
   * tshark -z conv,KIND,FILTER does. `selectStream` is selected on the TCP tab.
   */
  show(height: number, selectStream: number, shown: PacketList | null = null, filter = ''): void {
    this.stopCounting();
    this.shown = shown;
    this.filter = filter;
    this.height = height;
    this.list.left = 0;
    this.table = null;
    this.count = null;
    this.streams = [];
    const ix = this.store.index;
    if (this.mode === 'conversations' && (this.kind === 'tcp' || this.kind === 'udp')) {
      const t = this.kind === 'tcp' ? buildConversations(ix, ix.count, shown) : buildUdpConversations(ix, shown);
      this.table = t;
      for (let s = 0; s < t.n; s++) if (t.firstPacket[s] >= 0) this.streams.push(s);
    } else {
      this.count = new TalkerCount(this.store, this.kind, this.mode === 'endpoints', shown);
      this.count.step(performance.now() + COUNT_SLICE_MS);
    }
    this.refresh();
    this.list.el.height = Math.max(2, height - 1);
    this.title.el.show();
    this.list.el.show();
    this.title.el.setFront();
    this.list.el.setFront();
    const at = this.kind === 'tcp' && this.table !== null ? this.order.indexOf(this.streams.indexOf(selectStream)) : -1;
    this.list.select(Math.max(0, at));
    if (this.count !== null && !this.count.done) this.timer = setImmediate(() => this.countMore());
  }

  private countMore(): void {
    this.timer = null;
    const c = this.count;
    if (c === null) return;
    c.step(performance.now() + COUNT_SLICE_MS);
    this.refresh();
    if (!c.done) this.timer = setImmediate(() => this.countMore());
    this.onUpdate?.();
  }

  private stopCounting(): void {
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.count?.close();
  }

  /** Columns, widths, order and title from the tab's table as it stands. */
  private refresh(): void {
    this.columns = this.table !== null ? this.streamColumns(this.table) : this.countedColumns();
    if (this.sortColumn >= this.columns.length) this.sortColumn = -1;
    this.rows = this.table !== null ? this.streams.length : this.count!.table.rows.length;
    // measured once the table is complete (not after every slice of counting)
    if (this.rows <= MEASURED_ROWS && (this.count === null || this.count.done)) {
      for (const c of this.columns) {
        let w = c.title.length;
        for (let r = 0; r < this.rows; r++) w = Math.max(w, c.text(r).length);
        c.width = Math.min(w, c.width);
      }
    }
    this.sort();
    const title = KIND_TITLES[this.kind];
    const counting = this.count !== null && !this.count.done
      ? ` counting ${Math.floor((100 * this.count.counted) / Math.max(1, this.count.total))}%` : '';
    const sort = this.sortColumn < 0 ? 'sort: none' : `sort: ${this.columns[this.sortColumn].title} ${this.descending ? '\u2193' : '\u2191'}`;
    const enter = this.mode === 'endpoints' ? 'filter to the endpoint' : this.table !== null ? 'filter to the stream' : 'filter to the pair';
    this.title.segments = [
      { text: ` ${title} ${this.mode}: ${this.rows}${counting}`, attr: this.theme.titleFocused },
      ...(this.shown !== null ? [{ text: ` shown by ${sanitizeText(this.filter)}`, attr: this.theme.titleFocused, shrink: true }] : []),
      { text: `  ${sort}`, attr: this.theme.titleFocused },
      {
        text: `   Tab: next tab (${ADDRESS_KINDS.map((k) => (k === this.kind ? `[${KIND_TITLES[k]}]` : KIND_TITLES[k])).join(' ')})  s: sort column  r: reverse  ` +
          `\u2190\u2192: scroll  Enter: ${enter}${this.table !== null && this.kind === 'tcp' ? '  E: compare wire bytes and plaintext' : ''}  Esc: back`,
        attr: this.theme.titleFocused, shrink: true,
      },
    ];
  }

  private addressWidth(texts: (r: number) => string[], n: number, title: string): number {
    let w = title.length;
    for (let r = 0; r < n && w < MAX_ADDRESS_W; r++) for (const t of texts(r)) w = Math.max(w, t.length);
    return Math.min(w, MAX_ADDRESS_W);
  }

  private streamColumns(t: ConversationTable): Column[] {
    const ix = this.store.index, s = this.streams;
    const addr = (id: number): string => sanitizeText(ix.addresses.text(id));
    const aw = this.addressWidth((r) => [addr(t.clientAddr[s[r]]), addr(t.serverAddr[s[r]])], s.length, 'Address A');
    const first = ix.count > 0 ? ix.time(0) : 0;
    const cols: Column[] = [
      num('Stream', 7, (r) => s[r]),
      { title: 'Address A', width: aw, right: false, text: (r) => addr(t.clientAddr[s[r]]), key: (r) => addr(t.clientAddr[s[r]]) },
      num('Port A', 6, (r) => t.clientPort[s[r]]),
      { title: 'Address B', width: aw, right: false, text: (r) => addr(t.serverAddr[s[r]]), key: (r) => addr(t.serverAddr[s[r]]) },
      num('Port B', 6, (r) => t.serverPort[s[r]]),
      ...countColumns((r) => t.packetsToServer[s[r]], (r) => t.bytesToServer[s[r]], (r) => t.packetsToClient[s[r]], (r) => t.bytesToClient[s[r]],
        (r) => t.start[s[r]] - first, (r) => t.end[s[r]] - t.start[s[r]]),
    ];
    if (this.kind !== 'tcp') return cols;
    const v = ix.verdicts;
    const label = (r: number): string => v.label(s[r]) || '\u2014';
    // Bits per byte of the payload, both directions: near 8 for ciphertext, 4 to 5 for text.
    const entropy = (r: number): number => v.entropyAll(s[r]);
    const flags = (r: number): string => {
      const f = t.flags[s[r]];
      return [f & ConvFlag.Syn ? 'SYN' : '', f & ConvFlag.Fin ? 'FIN' : '', f & ConvFlag.Rst ? 'RST' : ''].filter(Boolean).join(' ');
    };
    return [...cols,
      { title: 'Verdict', width: verdictWidth(v, t.n), right: false, text: label, key: label },
      { title: 'Entropy', width: 7, right: true, text: (r) => (entropy(r) === NOT_MEASURED ? '\u2014' : entropy(r).toFixed(2)), key: (r) => (entropy(r) === NOT_MEASURED ? -1 : entropy(r)) },
      { title: 'Flags', width: 11, right: false, text: flags, key: flags },
    ];
  }

  private countedColumns(): Column[] {
    const t = this.count!.table;
    const ports = this.kind === 'tcp' || this.kind === 'udp';
    const text = (s: string): string => sanitizeText(s);
    if (t instanceof EndpointTable) {
      const rows: EndpointRow[] = t.rows;
      const aw = this.addressWidth((r) => [rows[r].party.addr], rows.length, 'Address');
      return [
        { title: 'Address', width: aw, right: false, text: (r) => text(rows[r].party.addr), key: (r) => rows[r].party.addr },
        ...(ports ? [num('Port', 6, (r) => rows[r].party.port)] : []),
        num('Packets', 8, (r) => rows[r].txFrames + rows[r].rxFrames),
        num('Bytes', 10, (r) => rows[r].txBytes + rows[r].rxBytes, humanBytes),
        num('Tx Packets', 8, (r) => rows[r].txFrames),
        num('Tx Bytes', 10, (r) => rows[r].txBytes, humanBytes),
        num('Rx Packets', 8, (r) => rows[r].rxFrames),
        num('Rx Bytes', 10, (r) => rows[r].rxBytes, humanBytes),
      ];
    }
    const rows: ConversationRow[] = t.rows;
    const aw = this.addressWidth((r) => [rows[r].a.addr, rows[r].b.addr], rows.length, 'Address A');
    return [
      { title: 'Address A', width: aw, right: false, text: (r) => text(rows[r].a.addr), key: (r) => rows[r].a.addr },
      ...(ports ? [num('Port A', 6, (r) => rows[r].a.port)] : []),
      { title: 'Address B', width: aw, right: false, text: (r) => text(rows[r].b.addr), key: (r) => rows[r].b.addr },
      ...(ports ? [num('Port B', 6, (r) => rows[r].b.port)] : []),
      // tshark's "->" is A→B (tx), "<-" B→A (rx)
      ...countColumns((r) => rows[r].txFrames, (r) => rows[r].txBytes, (r) => rows[r].rxFrames, (r) => rows[r].rxBytes,
        (r) => rows[r].start, (r) => rows[r].stop - rows[r].start),
    ];
  }

  /** The rows in the chosen column's order; equal ones keep the table's order. */
  private sort(): void {
    const n = this.rows;
    const order = new Int32Array(n);
    for (let r = 0; r < n; r++) order[r] = r;
    const c = this.sortColumn >= 0 ? this.columns[this.sortColumn] : null;
    if (c !== null && n > 1) {
      const keys = new Array<number | string>(n);
      for (let r = 0; r < n; r++) keys[r] = c.key(r);
      const numeric = typeof keys[0] === 'number';
      // numbers start largest first, texts in order; r reverses either
      const sign = (numeric ? -1 : 1) * (this.descending === numeric ? 1 : -1);
      order.sort((x, y) => {
        const a = keys[x], b = keys[y];
        const d = numeric ? (a as number) - (b as number) : collator.compare(a as string, b as string);
        return d !== 0 ? sign * d : x - y;
      });
    }
    this.order = order;
  }

  /** Conversations or endpoints; the sort starts again from the table's own order when it changes. */
  setMode(mode: TalkerMode): void {
    if (mode !== this.mode) this.sortColumn = -1;
    this.mode = mode;
  }

  /** s: sort by the next column (after the last, the table's own order again). */
  nextSortColumn(): void {
    this.sortColumn = this.sortColumn + 1 >= this.columns.length ? -1 : this.sortColumn + 1;
    const c = this.sortColumn >= 0 ? this.columns[this.sortColumn] : null;
    this.descending = c !== null && this.rows > 0 ? typeof c.key(0) === 'number' : true;
    this.resorted();
  }

  /** r: the other way round. */
  reverseSort(): void {
    if (this.sortColumn < 0) return;
    this.descending = !this.descending;
    this.resorted();
  }

  private resorted(): void {
    this.refresh();
    this.list.select(0);
  }

  /** The next (or previous) tab, with the same filter. */
  switchTab(step: 1 | -1 = 1): void {
    const k = ADDRESS_KINDS.indexOf(this.kind);
    this.kind = ADDRESS_KINDS[(k + step + ADDRESS_KINDS.length) % ADDRESS_KINDS.length];
    this.sortColumn = -1;
    this.show(this.height, -1, this.shown, this.filter);
  }

  resize(height: number): void {
    this.height = height;
    this.list.el.height = Math.max(2, height - 1);
    this.list.ensureVisible();
  }

  hide(): void {
    this.stopCounting();
    this.count = null;
    this.title.el.hide();
    this.list.el.hide();
  }

  get visible(): boolean {
    return !this.list.el.hidden;
  }
}
