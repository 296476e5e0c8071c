// The packet-details tree as text (tshark -V) and as the nodes the UI's details pane shows, from the
// frame's protocol tree (src/fields/tree.ts). Built only for the packet being shown.

import { Dissection } from '../decode/dissection';
import { protocolTree, TreeNode } from '../fields/tree';
import { sanitizeText } from './sanitize';
import { hexDumpLines } from './hexdump';
import { cutText, MAX_PACKET_CHARS, MAX_VALUE_CHARS, StringBuilder } from './text-writer';


export interface DetailNode {
  text: string;
  /** Field or protocol filter name, for "apply as filter". */
  name: string;
  /** Which occurrence of the field in the frame the node shows (for copying its value). */
  index: number;
  /** Bytes of `buf` the node covers (-1 when it covers none), for the bytes pane. */
  off: number;
  len: number;
  /** Bytes outside the frame the node covers (a decrypted record, reassembled data), when it does. */
  outside?: { buf: Buffer; off: number; len: number };
  children: DetailNode[];
}

/**
 * The visible tree of one packet. Each line is cut at MAX_VALUE_CHARS and the lines together at
 * MAX_PACKET_CHARS: past that, a line is the cut mark alone.
 */
export function buildDetails(d: Dissection): DetailNode[] {
  let room = MAX_PACKET_CHARS;
  const line = (text: string): string => {
    const t = sanitizeText(cutText(text, Math.min(MAX_VALUE_CHARS, room)));
    room = Math.max(0, room - t.length);
    return t;
  };
  const detailNode = (n: TreeNode): DetailNode => {
    // Generated values stand in brackets, as Wireshark shows what it worked out rather than read.
    const text = line(n.generated ? `[${n.text}]` : n.text);
    const out: DetailNode = { text, name: n.name, index: n.index, off: n.off, len: n.len, children: visible(n.children) };
    if (n.outside !== undefined) out.outside = n.outside;
    return out;
  };
  const visible = (nodes: TreeNode[]): DetailNode[] => nodes.filter((n) => !n.hidden).map(detailNode);
  return visible(protocolTree(d));
}

/**
 * The tree as tshark -V prints it: four spaces per level, and after the line of undissected data its
 * bytes as a hex dump, unindented after an empty line (tshark prints data's bytes so); at most
 * MAX_PACKET_CHARS, then the cut mark.
 */
export function detailsText(d: Dissection): string {
  const sb = new StringBuilder();
  const walk = (nodes: DetailNode[], depth: number): void => {
    for (const n of nodes) {
      sb.write('    '.repeat(depth));
      sb.write(n.text);
      sb.write('\n');
      if (n.name === 'data') {
        const bytes = n.outside ?? (n.off >= 0 ? { buf: d.buf, off: n.off, len: n.len } : null);
        if (bytes !== null && bytes.len > 0) {
          sb.write('\n');
          for (const line of hexDumpLines(bytes.buf, bytes.off, bytes.len)) sb.write(line + '\n');
        }
      }
      walk(n.children, depth + 1);
    }
  };
  walk(buildDetails(d), 0);
  return sb.text;
}
