// Details and bytes panes: the selected packet's protocol tree (src/output/details.ts, from the
// field registry) and its bytes, with the selected node's bytes highlighted. The packet is rebuilt
// by replaying its stream, so application layers (TLS) are complete. The bytes pane has a second
// tab, as Wireshark's "Decrypted TLS", when a key log opened some of the frame's records: their
// plaintext in record order; a node over decrypted bytes shows that tab with them highlighted.

import * as blessed from 'blessed';
import { PacketStore } from '../../store/packet-store';
import { buildDetails, DetailNode } from '../../output/details';
import { Dissection } from '../../decode/dissection';
import { TreeView, TreeNode } from '../widgets/tree-view';
import { HexView } from '../widgets/hex-view';
import { Theme } from '../theme';
import { decryptInfoOf } from '../../tls/decrypt-info';

export type BytesTab = 'frame' | 'decrypted';

export interface UiNode extends TreeNode {
  name: string;
  index: number;
  off: number;
  len: number;
  outside?: { buf: Buffer; off: number; len: number };
  children: UiNode[];
}

// Opened by default the first time: the layers a TCP/TLS user looks at first.
const OPEN_BY_DEFAULT = ['tcp', 'tls', 'tcp.analysis', 'tcp.flags', 'http', 'http2'];

export class DetailsView {
  readonly tree: TreeView<UiNode>;
  readonly hex: HexView;
  packet = -1;
  private d: Dissection | null = null;
  // The shown frame's bytes, copied: the store's frame storage may reuse its buffers on the next
  // read (a live capture's spool does), and the bytes pane draws these until another packet is shown.
  private bytes = Buffer.alloc(0);
  private frameLen = 0;
  /** The decrypted records' plaintext, one after the other, and where each starts in it. */
  private decrypted = Buffer.alloc(0);
  private parts: { buf: Buffer; at: number }[] = [];
  tab: BytesTab = 'frame';
  private picked: UiNode | null = null;
  /** Node names the user opened or closed, remembered from packet to packet as Wireshark does. */
  private readonly open = new Map<string, boolean>(OPEN_BY_DEFAULT.map((n) => [n, true]));

  constructor(
    readonly store: PacketStore,
    theme: Theme,
    treePos: blessed.Position & { parent: blessed.Screen },
    hexPos: blessed.Position & { parent: blessed.Screen },
  ) {
    this.tree = new TreeView<UiNode>(treePos);
    this.hex = new HexView(hexPos);
    this.hex.highlightAttr = theme.hexHighlight;
    this.tree.onSelect = (n) => this.highlight(n, true);
    this.tree.onToggle = (n, open) => this.open.set(n.name, open);
  }

  private convert(nodes: DetailNode[]): UiNode[] {
    return nodes.map((n) => {
      const children = this.convert(n.children);
      // Text from buildDetails is sanitized already; the widget draws it cell by cell (no markup).
      const u: UiNode = { text: n.text, name: n.name, index: n.index, off: n.off, len: n.len, children, expanded: children.length > 0 && this.open.get(n.name) === true };
      if (n.outside !== undefined) u.outside = n.outside;
      return u;
    });
  }

  show(packet: number): void {
    this.packet = packet;
    if (packet < 0 || packet >= this.store.count) {
      this.d = null;
      this.tree.setRoots([]);
      this.frameLen = 0;
      this.decrypted = Buffer.alloc(0);
      this.parts = [];
      this.tab = 'frame';
      this.hex.setBytes(Buffer.alloc(0), 0, 0);
      return;
    }
    const d = this.store.replay(packet);
    this.d = d;
    this.tree.setRoots(this.convert(buildDetails(d)));
    const n = Math.max(0, Math.min(d.capLen, d.buf.length - d.frameOff));
    if (this.bytes.length < n) this.bytes = Buffer.allocUnsafe(Math.max(n, 2048));
    d.buf.copy(this.bytes, 0, d.frameOff, d.frameOff + n);
    this.frameLen = n;
    const info = decryptInfoOf(d);
    const plain: Buffer[] = [];
    this.parts = [];
    let at = 0;
    for (let r = 0; r < info.count; r++) {
      if (!info.decrypted(r) || info.plain[r].length === 0) continue;
      this.parts.push({ buf: info.plain[r], at });
      plain.push(info.plain[r]);
      at += info.plain[r].length;
    }
    // A copy: the plaintext buffers belong to the store's decryption state.
    this.decrypted = Buffer.concat(plain);
    if (this.decrypted.length === 0) this.tab = 'frame';
    this.showTab();
    this.picked = this.tree.selectedNode();
    this.highlight(this.picked);
  }

  /** Bytes in the decrypted tab (0 when the frame has no decrypted record). */
  get decryptedLength(): number {
    return this.decrypted.length;
  }

  get frameLength(): number {
    return this.frameLen;
  }

  /** Switch the bytes pane between the frame and its decrypted records (when it has any). */
  nextTab(): boolean {
    if (this.decrypted.length === 0) return false;
    this.tab = this.tab === 'frame' ? 'decrypted' : 'frame';
    this.showTab();
    this.highlight(this.tree.selectedNode());
    return true;
  }

  private showTab(): void {
    if (this.tab === 'decrypted') this.hex.setBytes(this.decrypted, 0, this.decrypted.length);
    else this.hex.setBytes(this.bytes, 0, this.frameLen);
  }

  /** Where the node's bytes lie in the decrypted tab, or -1. */
  private decryptedOffset(o: { buf: Buffer; off: number; len: number }): number {
    for (const p of this.parts) {
      // Fields may point into a record's plaintext through a view of it (subarray), not the buffer itself.
      if (o.buf.buffer !== p.buf.buffer) continue;
      const start = o.buf.byteOffset + o.off - p.buf.byteOffset;
      if (start >= 0 && start + o.len <= p.buf.length) return p.at + start;
    }
    return -1;
  }

  /** Highlight the node's bytes; `pickTab`: show the tab that holds them (when the user selects a node). */
  private highlight(n: UiNode | null, pickTab = false): void {
    const d = this.d;
    if (pickTab) this.picked = n;
    if (d !== null && n !== null && n.outside !== undefined) {
      // As in Wireshark, the bytes pane shows the tab that holds the selected node's bytes.
      const at = this.decryptedOffset(n.outside);
      if (at >= 0) {
        if (pickTab && this.tab !== 'decrypted') {
          this.tab = 'decrypted';
          this.showTab();
        }
        if (this.tab === 'decrypted') this.hex.highlight(at, n.outside.len);
        else this.hex.highlight(-1, 0);
        return;
      }
    }
    if (pickTab && d !== null && n !== null && n.off >= 0 && this.tab !== 'frame') {
      this.tab = 'frame';
      this.showTab();
    }
    if (d === null || n === null || n.off < 0 || this.tab !== 'frame') {
      this.hex.highlight(-1, 0);
      return;
    }
    // Offsets outside this frame belong to reassembled data (a TLS record over several segments).
    if (n.off < d.frameOff || n.off >= d.frameOff + d.capLen) this.hex.highlight(-1, 0);
    else this.hex.highlight(n.off - d.frameOff, n.len);
  }

  /** The shown packet's full dissection (its fields, for going to packets it refers to), null when none. */
  get dissection(): Dissection | null {
    return this.d;
  }

  /** The details node selected, or null. */
  selectedNode(): UiNode | null {
    return this.d === null ? null : this.tree.selectedNode();
  }

  /** The shown frame's captured bytes (a copy the pane owns). */
  get frameBytes(): Buffer {
    return this.bytes.subarray(0, this.frameLen);
  }

  refreshHighlight(): void {
    // A node newly selected brings its tab forward; the same node keeps the tab the user chose with b.
    const n = this.tree.selectedNode();
    this.highlight(n, n !== this.picked);
  }
}
