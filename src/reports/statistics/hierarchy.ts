// Protocol hierarchy (tshark's -z io,phs): every packet's protocols, outermost first, counted as a
// path in a tree. The tree grows with the distinct protocol paths, not with the packets.

import { Dissection } from '../../decode/dissection';
import { protocolTree } from '../../fields/tree';

export class HierarchyNode {
  frames = 0;
  bytes = 0;
  readonly children: HierarchyNode[] = [];
  constructor(readonly name: string) {}

  child(name: string): HierarchyNode {
    for (const c of this.children) if (c.name === name) return c;
    const c = new HierarchyNode(name);
    this.children.push(c);
    return c;
  }
}

/** Deeper paths than this are counted at this depth: a hostile nesting cannot grow the tree without end. */
const MAX_DEPTH = 64;

export class ProtocolHierarchy {
  readonly root = new HierarchyNode('');

  add(d: Dissection): void {
    let at = this.root;
    let depth = 0;
    for (const node of protocolTree(d)) {
      // the frame itself is the whole packet, not a protocol in it
      if (node.name === 'frame') continue;
      if (depth++ >= MAX_DEPTH) break;
      at = at.child(node.name);
      at.frames++;
      at.bytes += d.origLen;
    }
  }
}
