// The packet-details tree (tshark -V, the UI's details pane), built from the field registry: one
// node per protocol layer, one child per field occurrence. Built only for the packet being shown.

import { Dissection, PROTO_NAMES, Proto } from '../decode/dissection';
import { fieldsOf, getField, FieldDef, FT, Span } from '../fields/registry';
import { formatField } from '../fields/format';
import { sanitizeText } from './sanitize';
import { cutText, MAX_PACKET_CHARS, MAX_VALUE_CHARS, StringBuilder } from './text-writer';

export interface DetailNode {
  text: string;
  /** Field or protocol filter name, for "apply as filter". */
  name: string;
  /** Bytes of `buf` the node covers (-1 when it covers none), for the bytes pane. */
  off: number;
  len: number;
  children: DetailNode[];
}

const span = new Span();

/** Registry protocol names in the order their layers appear in the frame. */
export function protocolsOf(d: Dissection): string[] {
  const out = ['frame'];
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i];
    const name = p === Proto.Sll2 ? 'sll' : PROTO_NAMES[p];
    if (!out.includes(name) && getField(name) !== undefined) out.push(name);
  }
  return out;
}

function valueText(f: FieldDef, d: Dissection, i: number): string {
  const v = formatField(f, d, i);
  if (f.type === FT.None) return f.label;
  const named = f.valueNames && f.num ? f.valueNames[f.num(d, i)] : undefined;
  return `${f.label}: ${named !== undefined ? `${named} (${v})` : v}`;
}

/**
 * The tree of one packet. Each line is cut at MAX_VALUE_CHARS and the lines together at
 * MAX_PACKET_CHARS: past that, a line is the cut mark alone.
 */
export function buildDetails(d: Dissection): DetailNode[] {
  const roots: DetailNode[] = [];
  let room = MAX_PACKET_CHARS;
  const line = (text: string): string => {
    const t = sanitizeText(cutText(text, Math.min(MAX_VALUE_CHARS, room)));
    room = Math.max(0, room - t.length);
    return t;
  };
  for (const proto of protocolsOf(d)) {
    const pf = getField(proto)!;
    if (pf.count(d) === 0) continue;
    const root: DetailNode = { text: line(formatField(pf, d, 0)), name: proto, off: -1, len: 0, children: [] };
    if (pf.range && pf.range(d, 0, span)) { root.off = span.off; root.len = span.len; }
    for (const f of fieldsOf(proto)) {
      if (f.hidden) continue;
      const n = f.count(d);
      for (let i = 0; i < n; i++) {
        const node: DetailNode = { text: line(valueText(f, d, i)), name: f.name, off: -1, len: 0, children: [] };
        if (f.range && f.range(d, i, span)) { node.off = span.off; node.len = span.len; }
        root.children.push(node);
      }
    }
    roots.push(root);
  }
  return roots;
}

/** The tree as tshark -V prints it: four spaces per level; at most MAX_PACKET_CHARS, then the cut mark. */
export function detailsText(d: Dissection): string {
  const sb = new StringBuilder();
  const walk = (nodes: DetailNode[], depth: number): void => {
    for (const n of nodes) {
      sb.write('    '.repeat(depth));
      sb.write(n.text);
      sb.write('\n');
      walk(n.children, depth + 1);
    }
  };
  walk(buildDetails(d), 0);
  return sb.text;
}
