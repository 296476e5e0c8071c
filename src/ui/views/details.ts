// Details and bytes panes: the selected packet's protocol tree (src/output/details.ts, from the
// field registry) and its bytes, with the selected node's bytes highlighted. The packet is rebuilt
// by replaying its stream, so application layers (TLS) are complete.

import * as blessed from 'blessed';
import { PacketStore } from '../../store/packet-store';
import { buildDetails, DetailNode } from '../../output/details';
import { Dissection } from '../../decode/dissection';
import { TreeView, TreeNode } from '../widgets/tree-view';
import { HexView } from '../widgets/hex-view';
import { Theme } from '../theme';

interface UiNode extends TreeNode {
  name: string;
  off: number;
  len: number;
  children: UiNode[];
}

// Opened by default the first time: the layers a TCP/TLS user looks at first.
const OPEN_BY_DEFAULT = ['tcp', 'tls', 'tcp.analysis', 'tcp.flags'];

export class DetailsView {
  readonly tree: TreeView<UiNode>;
  readonly hex: HexView;
  packet = -1;
  private d: Dissection | null = null;
  // The shown frame's bytes, copied: the store's frame storage may reuse its buffers on the next
  // read (a live capture's spool does), and the bytes pane draws these until another packet is shown.
  private bytes = Buffer.alloc(0);
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
    this.tree.onSelect = (n) => this.highlight(n);
    this.tree.onToggle = (n, open) => this.open.set(n.name, open);
  }

  private convert(nodes: DetailNode[]): UiNode[] {
    return nodes.map((n) => {
      const children = this.convert(n.children);
      // Text from buildDetails is sanitized already; the widget draws it cell by cell (no markup).
      return { text: n.text, name: n.name, off: n.off, len: n.len, children, expanded: children.length > 0 && this.open.get(n.name) === true };
    });
  }

  show(packet: number): void {
    this.packet = packet;
    if (packet < 0 || packet >= this.store.count) {
      this.d = null;
      this.tree.setRoots([]);
      this.hex.setBytes(Buffer.alloc(0), 0, 0);
      return;
    }
    const d = this.store.replay(packet);
    this.d = d;
    this.tree.setRoots(this.convert(buildDetails(d)));
    const n = Math.max(0, Math.min(d.capLen, d.buf.length - d.frameOff));
    if (this.bytes.length < n) this.bytes = Buffer.allocUnsafe(Math.max(n, 2048));
    d.buf.copy(this.bytes, 0, d.frameOff, d.frameOff + n);
    this.hex.setBytes(this.bytes, 0, n);
    this.highlight(this.tree.selectedNode());
  }

  private highlight(n: UiNode | null): void {
    const d = this.d;
    if (d === null || n === null || n.off < 0) {
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

  refreshHighlight(): void {
    this.highlight(this.tree.selectedNode());
  }
}
