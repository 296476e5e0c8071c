// The conversations view: one row per TCP stream from the index columns, with the stream's verdict
// (plaintext, encrypted, decrypted …) and payload entropy from the index; Enter filters the packet
// list to the stream under the cursor, E compares its wire bytes with their meaning.

import * as blessed from 'blessed';
import { PacketStore } from '../../store/packet-store';
import { buildConversations, buildUdpConversations, ConversationTable, ConvFlag, PacketList } from '../../store/conversations';
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

const ENTROPY_W = 7;

/** Width of the Client and Server columns: what the gutter, the other columns and the longest Flags ("SYN FIN RST") leave, between an IPv4 and a full IPv6 endpoint. */
function endpointWidth(width: number, verdictW: number): number {
  return Math.max(16, Math.min(47, Math.floor((width - 2 - 76 - verdictW - ENTROPY_W - 11) / 2)));
}

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

export class ConversationsView {
  readonly title: Bar;
  readonly list: VirtualList;
  private table: ConversationTable | null = null;
  /** The streams listed, in order: all of them, or those with a packet the display filter shows. */
  private streams: number[] = [];
  /** Which tab: TCP (tcp.stream) or UDP (udp.stream) conversations; Tab switches. */
  proto: 'TCP' | 'UDP' = 'TCP';
  private shown: PacketList | null = null;
  private filter = '';
  private height = 10;
  private verdictW = 'Verdict'.length;
  onChoose: ((stream: number) => void) | null = null;

  constructor(parent: blessed.Screen, private readonly store: PacketStore, private readonly theme: Theme) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = theme.titleFocused;
    this.list = new VirtualList(
      {
        count: () => this.streams.length,
        row: (i, width) => this.row(i, width),
        header: (width) => {
          const ew = endpointWidth(width, this.verdictW);
          return `${'Stream'.padStart(7)}  ${'Client'.padEnd(ew)} ${'Server'.padEnd(ew)} ${'Pkts \u2192'.padStart(8)} ${'Bytes \u2192'.padStart(10)} ` +
            `${'Pkts \u2190'.padStart(8)} ${'Bytes \u2190'.padStart(10)} ${'Start'.padStart(10)} ${'Duration'.padStart(10)}  ` +
            `${'Verdict'.padEnd(this.verdictW)} ${'Entropy'.padStart(ENTROPY_W)} Flags`;
        },
      },
      { parent, top: 1, left: 0, width: '100%', height: 10, hidden: true, gutter: true },
    );
    this.list.focused = true;
    this.list.onActivate = (i) => this.onChoose?.(this.streamAt(i));
  }

  /** tcp.stream of list row i. */
  streamAt(i: number): number {
    return this.streams[i] ?? -1;
  }

  private row(i: number, width: number): ListRow {
    const t = this.table!;
    const s = this.streams[i];
    const ew = endpointWidth(width, this.verdictW);
    const ix = this.store.index;
    const ep = (a: number, p: number): string => {
      const text = sanitizeText(ix.addresses.text(a));
      return (text.includes(':') ? `[${text}]` : text) + `:${p}`;
    };
    const first = ix.count > 0 ? ix.time(0) : 0;
    const f = t.flags[s];
    const flags = [f & ConvFlag.Syn ? 'SYN' : '', f & ConvFlag.Fin ? 'FIN' : '', f & ConvFlag.Rst ? 'RST' : ''].filter(Boolean).join(' ');
    // Bits per byte of the payload, both directions: near 8 for ciphertext, 4 to 5 for text.
    const udp = this.proto === 'UDP';
    const h = udp ? NOT_MEASURED : ix.verdicts.entropyAll(s);
    const entropy = h === NOT_MEASURED ? '\u2014' : h.toFixed(2);
    const text = `${String(s).padStart(7)}  ${fit(ep(t.clientAddr[s], t.clientPort[s]), ew)} ${fit(ep(t.serverAddr[s], t.serverPort[s]), ew)} ` +
      `${String(t.packetsToServer[s]).padStart(8)} ${humanBytes(t.bytesToServer[s]).padStart(10)} ` +
      `${String(t.packetsToClient[s]).padStart(8)} ${humanBytes(t.bytesToClient[s]).padStart(10)} ` +
      `${(t.start[s] - first).toFixed(3).padStart(10)} ${(t.end[s] - t.start[s]).toFixed(3).padStart(10)}  ` +
      `${fit((udp ? '' : ix.verdicts.label(s)) || '\u2014', this.verdictW)} ${entropy.padStart(ENTROPY_W)} ${flags}`;
    const a = f & ConvFlag.Rst ? this.theme.rows[RowClass.Reset] : PLAIN;
    return { text, attr: a };
  }

  /** Show the conversations; with `shown` (the display filter's matches), only the packets it shows count, as tshark -z conv,tcp,FILTER does. */
  show(height: number, selectStream: number, shown: PacketList | null = null, filter = ''): void {
    this.shown = shown;
    this.filter = filter;
    this.height = height;
    this.list.left = 0;
    const ix = this.store.index;
    const t = this.proto === 'TCP' ? buildConversations(ix, ix.count, shown) : buildUdpConversations(ix, shown);
    this.table = t;
    this.streams = [];
    for (let s = 0; s < t.n; s++) if (shown === null || t.firstPacket[s] >= 0) this.streams.push(s);
    this.verdictW = this.proto === 'TCP' ? verdictWidth(ix.verdicts, t.n) : 'Verdict'.length;
    const other = this.proto === 'TCP' ? 'UDP' : 'TCP';
    this.title.segments = [
      { text: ` ${this.proto} conversations: ${this.streams.length}`, attr: this.theme.titleFocused },
      ...(shown !== null ? [{ text: ` shown by ${sanitizeText(filter)}`, attr: this.theme.titleFocused, shrink: true }] : []),
      { text: `   Tab: ${other}  \u2190\u2192: scroll  Enter: filter to the stream${this.proto === 'TCP' ? '  E: compare wire bytes and plaintext' : ''}  Esc: back`, attr: this.theme.titleFocused, shrink: true },
    ];
    this.list.el.height = Math.max(2, height - 1);
    this.title.el.show();
    this.list.el.show();
    this.title.el.setFront();
    this.list.el.setFront();
    const at = this.streams.indexOf(selectStream);
    this.list.select(Math.max(0, at));
  }

  /** The other tab (TCP / UDP), with the same filter. */
  switchProto(): void {
    this.proto = this.proto === 'TCP' ? 'UDP' : 'TCP';
    this.show(this.height, -1, this.shown, this.filter);
  }

  resize(height: number): void {
    this.height = height;
    this.list.el.height = Math.max(2, height - 1);
    this.list.ensureVisible();
  }

  hide(): void {
    this.title.el.hide();
    this.list.el.hide();
  }

  get visible(): boolean {
    return !this.list.el.hidden;
  }
}
