// tshark's -T ek (Elasticsearch bulk lines: an index line and a document line per packet, each
// protocol's fields flattened under `proto_field_name` keys) and -T psml (the packet list as XML,
// one <section> per column). Each packet is written as it comes: nothing is kept between packets.

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from '../fields/frame-numbers';
import { FT } from '../fields/registry';
import { formatField } from '../fields/format';
import { tsharkType, isProtocol } from '../fields/glossary';
import { protocolTree, TreeNode } from '../fields/tree';
import { sourceColumn, destinationColumn, protocolColumn, infoColumn } from './summary';
import { cutText, MAX_VALUE_CHARS } from './text-writer';
import { sanitizeText, jsonQuoted } from './sanitize';
import { OutputBuffer } from './stdout';
import { Sink, indexName } from './sinks';
import { timeColumn } from './time-format';

/**
 * A value as tshark's -T ek writes it, cut to the value limit: escaped as -T json escapes (`<\/` as
 * tshark writes it), and with no code point a terminal would act on (DEL, C1, format characters).
 */
function jsonText(s: string): string {
  return jsonQuoted(cutText(s, MAX_VALUE_CHARS));
}

/** A field's -T ek key under a layer, quoted (`"tcp_tcp_srcport"`): made once per layer and field, not per value. */
const ekKeys = new Map<string, Map<string, string>>();
function ekKey(layer: string, field: string): string {
  let keys = ekKeys.get(layer);
  if (keys === undefined) ekKeys.set(layer, (keys = new Map()));
  let key = keys.get(field);
  if (key === undefined) keys.set(field, (key = JSON.stringify(`${layer}_${field.replace(/\./g, '_')}`)));
  return key;
}

export class EkSink implements Sink {
  constructor(private readonly out: OutputBuffer) {}

  frame(d: Dissection): void {
    let s = `{"index":{"_index":"${indexName(d)}","_type":"doc"}}\n`;
    s += `{"timestamp":"${d.tsSec * 1000 + Math.floor(d.tsNsec / 1e6)}","layers":{`;
    // a protocol that occurs twice (a tunnel's inner IP) is a list of layers, as tshark writes it
    const layers = new Map<string, string[]>();
    for (const root of protocolTree(d)) {
      if (!isProtocol(root.field)) {
        // A subtree at the top that is no protocol (the reassembled TCP segments): tshark's -T ek
        // writes each of its fields as a layer of its own, named PROTO_FIELD, without a document.
        const flat = (n: TreeNode): void => {
          const key = `${n.field.proto}_${n.name.replace(/\./g, '_')}`;
          let values = layers.get(key);
          if (values === undefined) layers.set(key, (values = []));
          values.push(n.field.type === FT.None ? 'null' : jsonText(formatField(n.field, d, n.index, 'json')));
          for (const c of n.children) flat(c);
        };
        flat(root);
        continue;
      }
      let list = layers.get(root.name);
      if (list === undefined) layers.set(root.name, (list = []));
      const pairs: string[] = [];
      // a text item (DNS's "Answers", each answer) has no key of its own: its fields join its parent's
      const expand = (nodes: TreeNode[], out: TreeNode[] = []): TreeNode[] => {
        for (const n of nodes) {
          if (n.field.textNode === true) expand(n.children, out);
          else out.push(n);
        }
        return out;
      };
      const walk = (under: TreeNode[]): void => {
        const nodes = expand(under);
        // fields repeated side by side are one key with a list of values; under different parents they repeat
        const grouped = new Map<string, string[]>();
        for (const n of nodes) {
          if (n.field.type === FT.None) continue;
          const v = formatField(n.field, d, n.index, 'json');
          const value = tsharkType(n.field) === 'FT_BOOLEAN' ? (v === '1' || v === 'true' ? 'true' : 'false') : jsonText(v);
          const key = ekKey(root.name, n.name);
          const g = grouped.get(key);
          if (g === undefined) grouped.set(key, [value]);
          else g.push(value);
        }
        for (const [key, values] of grouped) pairs.push(`${key}:${values.length === 1 ? values[0] : `[${values.join(',')}]`}`);
        for (const n of nodes) if (n.children.length > 0) walk(n.children);
      };
      walk(root.children);
      list.push(`{${pairs.join(',')}}`);
    }
    s += [...layers].map(([name, list]) => `${JSON.stringify(name)}:${list.length === 1 ? list[0] : `[${list.join(',')}]`}`).join(',');
    s += '}}\n';
    this.out.write(s);
  }

  end(): void {
    this.out.flush();
  }
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const xml = (s: string): string => sanitizeText(s).replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);

export class PsmlSink implements Sink {
  private started = false;

  constructor(private readonly out: OutputBuffer, private readonly timeDigits: () => number) {}

  private start(): void {
    this.started = true;
    this.out.write('<?xml version="1.0" encoding="utf-8"?>\n<psml version="0" creator="tcpwatch/0.1.0">\n<structure>\n' +
      ['No.', 'Time', 'Source', 'Destination', 'Protocol', 'Length', 'Info'].map((c) => `<section>${c}</section>\n`).join('') + '</structure>\n\n');
  }

  frame(d: Dissection): void {
    if (!this.started) this.start();
    const cols = [String(shownFrameNumber(d.number)), timeColumn(d, this.timeDigits()), sourceColumn(d), destinationColumn(d), protocolColumn(d), String(d.origLen), infoColumn(d)];
    this.out.write(`<packet>\n${cols.map((c) => `<section>${xml(c)}</section>\n`).join('')}</packet>\n\n`);
  }

  end(): void {
    if (!this.started) this.start();
    this.out.write('</psml>\n');
    this.out.flush();
  }
}
