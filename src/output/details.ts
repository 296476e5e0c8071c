// The packet-details tree as text (tshark -V) and as the nodes the UI's details pane shows, from the
// frame's protocol tree (src/fields/tree.ts). Built only for the packet being shown.

import { Dissection } from '../decode/dissection';
import { protocolTree, protocolsOf, TreeNode } from '../fields/tree';
import { sanitizeText } from './sanitize';

export { protocolsOf };

export interface DetailNode {
  text: string;
  /** Field or protocol filter name, for "apply as filter". */
  name: string;
  /** Bytes of `buf` the node covers (-1 when it covers none), for the bytes pane. */
  off: number;
  len: number;
  children: DetailNode[];
}

function detailNode(n: TreeNode): DetailNode {
  // Generated values stand in brackets, as Wireshark shows what it worked out rather than read.
  const text = n.generated ? `[${n.text}]` : n.text;
  return { text: sanitizeText(text), name: n.name, off: n.off, len: n.len, children: visible(n.children) };
}

const visible = (nodes: TreeNode[]): DetailNode[] => nodes.filter((n) => !n.hidden).map(detailNode);

export function buildDetails(d: Dissection): DetailNode[] {
  return visible(protocolTree(d));
}

/** The tree as tshark -V prints it: four spaces per level. */
export function detailsText(d: Dissection): string {
  let s = '';
  const walk = (nodes: DetailNode[], depth: number): void => {
    for (const n of nodes) {
      s += '    '.repeat(depth) + n.text + '\n';
      walk(n.children, depth + 1);
    }
  };
  walk(buildDetails(d), 0);
  return s;
}
