// The packet-details tree (tshark -V, the UI's details pane), built from the field registry: one
// node per protocol layer, one child per field occurrence. Built only for the packet being shown.

import { Dissection, PROTO_NAMES, Proto } from '../decode/dissection';
import { fieldsOf, getField, FieldDef, FT, Span } from '../fields/registry';
import { formatField } from '../fields/format';
import { sanitizeText } from './sanitize';

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

export function buildDetails(d: Dissection): DetailNode[] {
  const roots: DetailNode[] = [];
  for (const proto of protocolsOf(d)) {
    const pf = getField(proto)!;
    if (pf.count(d) === 0) continue;
    // A protocol without a summary line of its own is headed by its name, as in Wireshark's tree.
    const heading = pf.type === FT.None && pf.text === undefined ? pf.label : formatField(pf, d, 0);
    const root: DetailNode = { text: sanitizeText(heading), name: proto, off: -1, len: 0, children: [] };
    if (pf.range && pf.range(d, 0, span)) { root.off = span.off; root.len = span.len; }
    for (const f of fieldsOf(proto)) {
      if (f.hidden) continue;
      const n = f.count(d);
      for (let i = 0; i < n; i++) {
        const node: DetailNode = { text: sanitizeText(valueText(f, d, i)), name: f.name, off: -1, len: 0, children: [] };
        if (f.range && f.range(d, i, span)) { node.off = span.off; node.len = span.len; }
        root.children.push(node);
      }
    }
    roots.push(root);
  }
  return roots;
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
