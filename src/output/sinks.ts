// Headless output formats, each a sink that receives decoded frames: summary lines (tshark's
// default), -T fields, -T json / ndjson, with -V details and -x hex added to text output.

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from '../fields/frame-numbers';
import { FieldDef, getField, nearestFieldName, FT } from '../fields/registry';
import { formatField } from '../fields/format';
import { sourceColumn, destinationColumn, ARROW_BETWEEN, appSummary, transportProtocol, writeTransportInfo, writeAppInfo } from './summary';
import { TextWriter, StringBuilder, cutText, cutMark, MAX_PACKET_CHARS, MAX_VALUE_CHARS } from './text-writer';
import { detailsText, buildDetails, DetailNode } from './details';
import { protocolTree, TreeNode } from '../fields/tree';
import { hexDumpLines } from './hexdump';
import { jsonQuoted, sanitizeText } from './sanitize';
import { tsharkType, ftenumNumber, isProtocol } from '../fields/glossary';
import { secNsecToString } from '../fields/format';
import { OutputBuffer } from './stdout';
import { UsageError } from '../errors';
import { defaultTimeFormat, timeColumn } from './time-format';
import { ColumnSpec, columnsLine } from './column-format';

export interface Sink {
  frame(d: Dissection): void;
  end(): void;
}


/** Relative time as the summary line shows it, with as many decimals as the capture's timestamps have. */
export function relativeTime(d: Dissection, digits: number): string {
  const full = secNsecToString(d.tsSec - d.firstTsSec, d.tsNsec - d.firstTsNsec);
  return digits >= 9 ? full : full.slice(0, full.length - (9 - digits));
}

export interface TextOptions {
  details: boolean;
  hex: boolean;
  /** Summary lines even with -x (tshark's -P). */
  summary: boolean;
  /** Decimal places of the time column (6 for microsecond captures, 9 for nanosecond). */
  timeDigits: () => number;
  /** The columns of -o gui.column.format, when given: the summary line is tshark's over them. */
  columns?: readonly ColumnSpec[];
}

export function summaryLine(d: Dissection, timeDigits: number): string {
  const sb = new StringBuilder();
  writeSummaryLine(d, timeDigits, sb);
  return sb.text;
}

/** One line of tshark's default output: No., Time, Source → Destination, Protocol, Length, Info. */
export function writeSummaryLine(d: Dissection, timeDigits: number, w: TextWriter): void {
  w.writeUInt(shownFrameNumber(d.number), 5);
  w.write(' ');
  writeRelativeTime(d, timeDigits, w);
  w.write(' ');
  const src = sourceColumn(d);
  const dst = destinationColumn(d);
  if (src || dst) {
    w.write(src);
    w.write(ARROW_BETWEEN);
    w.write(dst);
  }
  w.write(' ');
  // Application summaries (TLS SNI, HTTP, …) can carry text from the packet and go through the
  // sanitizer; the transport's own columns are tcpwatch's text. One lookup serves both columns.
  const app = appSummary(d);
  if (app !== null) w.writeSanitized(app.protocol);
  else w.write(transportProtocol(d));
  w.write(' ');
  w.writeUInt(d.origLen);
  w.write(' ');
  if (app !== null) writeAppInfo(d, app, w);
  else writeTransportInfo(d, w);
}

/** The Time column, right-aligned as tshark aligns it (11 places for nanoseconds, 10 otherwise). */
function writeRelativeTime(d: Dissection, digits: number, w: TextWriter): void {
  if (!defaultTimeFormat()) {
    // -t / -u: tshark right-aligns the time in at least 10 places
    w.write(timeColumn(d, digits).padStart(10));
    return;
  }
  const width = digits >= 9 ? 11 : 10;
  let sec = d.tsSec - d.firstTsSec, nsec = d.tsNsec - d.firstTsNsec;
  if (nsec < 0) { sec -= 1; nsec += 1e9; }
  if (sec < 0 || digits < 1 || digits > 9) {
    // Before the first packet, or a resolution the digit path does not handle: the string's way.
    w.write(relativeTime(d, digits).padStart(width));
    return;
  }
  w.writeUInt(sec, width - 1 - digits);
  w.write('.');
  w.writeUInt(Math.floor(nsec / POW10[9 - digits]), digits, true);
}

const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

export class TextSink implements Sink {
  constructor(private readonly out: OutputBuffer, private readonly opts: TextOptions) {}

  frame(d: Dissection): void {
    if (this.opts.details) {
      this.out.write(detailsText(d));
      if (!this.opts.hex) this.out.write('\n');
    } else if (this.opts.summary || !this.opts.hex) {
      // As tshark 4: -x alone prints the dump without the summary line, -P adds it back.
      if (this.opts.columns !== undefined) this.out.write(columnsLine(this.opts.columns, d, this.opts.timeDigits()));
      else writeSummaryLine(d, this.opts.timeDigits(), this.out);
      this.out.writeByte(10);
    }
    if (this.opts.hex) {
      for (const line of hexDumpLines(d.buf, d.frameOff, d.capLen)) this.out.write(line + '\n');
      this.out.write('\n');
    }
  }

  end(): void {
    this.out.flush();
  }
}

export interface FieldsOptions {
  header: boolean;
  separator: string;
  occurrence: 'f' | 'l' | 'a';
  aggregator: string;
  quote: '' | '"' | "'";
}

export function parseFieldsOption(opts: FieldsOptions, spec: string): void {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new UsageError(`invalid -E option "${spec}": expected NAME=VALUE`);
  const key = spec.slice(0, eq), value = spec.slice(eq + 1);
  const charOf = (v: string): string => (v === '/t' ? '\t' : v === '/s' ? ' ' : v);
  switch (key) {
    case 'header':
      if (value !== 'y' && value !== 'n') throw new UsageError(`invalid -E header value "${value}": use y or n`);
      opts.header = value === 'y';
      break;
    case 'separator':
    case 'aggregator':
      // tshark takes any text here, but not nothing: fields run together are unreadable
      if (value === '') throw new UsageError(`invalid -E ${key} value "": use /t, /s or a character`);
      opts[key] = charOf(value);
      break;
    case 'occurrence':
      if (value !== 'f' && value !== 'l' && value !== 'a') throw new UsageError(`invalid -E occurrence value "${value}": use f, l or a`);
      opts.occurrence = value;
      break;
    case 'quote':
      if (value === 'd') opts.quote = '"';
      else if (value === 's') opts.quote = "'";
      else if (value === 'n') opts.quote = '';
      else throw new UsageError(`invalid -E quote value "${value}": use d, s or n`);
      break;
    default:
      throw new UsageError(`unknown -E option "${key}": use header, separator, occurrence, aggregator or quote`);
  }
}

/** Resolve -e names to field definitions once, with a suggestion for names that do not exist. */
export function resolveFields(names: string[]): FieldDef[] {
  return names.map((name) => {
    const f = getField(name);
    if (f === undefined) {
      const near = nearestFieldName(name);
      throw new UsageError(`unknown field "${name}"${near ? ` (did you mean "${near}"?)` : ''}`);
    }
    return f;
  });
}

export class FieldsSink implements Sink {
  private headerDone = false;

  constructor(private readonly out: OutputBuffer, private readonly fields: FieldDef[], private readonly opts: FieldsOptions) {}

  frame(d: Dissection): void {
    const o = this.opts;
    if (o.header && !this.headerDone) {
      this.out.write(this.fields.map((f) => f.name).join(o.separator) + '\n');
      this.headerDone = true;
    }
    // Values go straight into the output buffer: whole numbers as digits, text as it is, no line
    // string built per packet.
    const out = this.out;
    const sep = o.separator;
    const oneByteSep = sep.length === 1 && sep.charCodeAt(0) < 0x80 ? sep.charCodeAt(0) : -1;
    for (let k = 0; k < this.fields.length; k++) {
      const f = this.fields[k];
      if (k) {
        if (oneByteSep >= 0) out.writeByte(oneByteSep);
        else out.write(sep);
      }
      const n = f.count(d);
      if (n === 0) continue;
      if (o.quote === '' && n === 1 && f.text === undefined && (f.type === FT.UInt || f.type === FT.Int)) {
        const v = f.num!(d, 0);
        if (v >= 0 && Number.isInteger(v)) {
          out.writeUInt(v);
          continue;
        }
      }
      // Occurrences go out one by one, each cut at MAX_VALUE_CHARS: a line is never one string.
      if (o.quote) out.write(o.quote);
      const from = o.occurrence === 'l' ? n - 1 : 0;
      const to = o.occurrence === 'f' ? 1 : n;
      for (let i = from; i < to; i++) {
        if (i > from) out.write(o.aggregator);
        const v = cutText(formatField(f, d, i));
        out.write(f.type === FT.String ? sanitizeText(v) : v);
      }
      if (o.quote) out.write(o.quote);
    }
    out.writeByte(10);
  }

  end(): void {
    if (this.opts.header && !this.headerDone) this.out.write(this.fields.map((f) => f.name).join(this.opts.separator) + '\n');
    this.out.flush();
  }
}

/**
 * One packet's JSON values, each cut at MAX_VALUE_CHARS and all together at MAX_PACKET_CHARS (later
 * ones become the cut mark alone), so that the document can always be made into one string.
 */
class JsonValues {
  private room = MAX_PACKET_CHARS;
  constructor(readonly d: Dissection) {}
  value(f: FieldDef, i: number): string {
    return this.text(formatField(f, this.d, i, 'json'));
  }
  /** A value the tree gives rather than the field (a protocol's label, an expert item's message). */
  text(s: string): string {
    const v = cutText(s, Math.min(MAX_VALUE_CHARS, this.room));
    this.room = Math.max(0, this.room - v.length);
    return v;
  }
}

/**
 * tshark's -j / -J: the protocols whose fields JSON shows (the others are `{"filtered": name}`), with
 * their subtrees folded the same way (-j) or shown in full (-J).
 */
export interface ProtocolMatch {
  names: ReadonlySet<string>;
  expand: boolean;
}

/** The key a node is written under: its field's name, or a text item's text (tshark's proto_node_to_json_key). */
const jsonKey = (n: TreeNode): string => (n.field.textNode === true ? cutText(sanitizeText(n.text), MAX_VALUE_CHARS) : n.name);
/**
 * Whether tshark writes a value for the node: not for a text item nor a field that only marks
 * presence or heads a structure (FT_NONE, a protocol), except the expert item's severity and group,
 * which the tree numbers itself.
 */
const hasJsonValue = (n: TreeNode): boolean => n.field.textNode !== true && (n.field.type !== FT.None || n.value !== '');

/**
 * One frame's protocol tree as tshark's -T json writes it (print.c, write_json_proto_node_list):
 * each node is its key with its value, its children under `KEY_tree` beside the value (under KEY
 * itself when it has none), and a node with neither is "" (a protocol: its label). By default each
 * node is a member of its own, so a key repeats as often as tshark repeats it; grouped
 * (--no-duplicate-keys, and ndjson, whose readers keep one value per key) the nodes of one key
 * become an array. Pretty, it is indented two spaces a level as tshark's dumper indents.
 *
 * With `raw` (-T jsonraw, and -x beside the values) each node also has `KEY_raw`: its bytes in
 * hex (a bit field's value instead), where they start in their data source, how many, the field's
 * bitmask and its type's number; -T jsonraw writes only those (`values` off), a text item as "".
 */
class JsonTreeText {
  text = '';
  /**
   * Where the protocol being written starts in the frame: a node that covers no bytes (a generated
   * field such as tcp.stream) stands there in tshark's _raw arrays, as its dissector adds it there.
   */
  private protocolStart = 0;

  constructor(private readonly j: JsonValues, private readonly pretty: boolean, private readonly grouped: boolean,
    private readonly print: JsonPrint = TEXT_ONLY) {}

  /** `key:` as member of an object whose members stand at `depth`; `first` when no member came before. */
  member(key: string, depth: number, first: boolean): void {
    if (!first) this.text += ',';
    this.text += this.pretty ? `\n${'  '.repeat(depth)}${jsonQuoted(key)}: ` : `${jsonQuoted(key)}:`;
  }

  private close(bracket: string, depth: number, empty: boolean): void {
    this.text += (this.pretty && !empty ? `\n${'  '.repeat(depth)}` : '') + bracket;
  }

  /** The nodes' values under one key: the value alone, or an array of them. */
  private values(nodes: TreeNode[], depth: number, write: (n: TreeNode, depth: number) => void): void {
    if (nodes.length === 1) {
      write(nodes[0], depth);
      return;
    }
    this.text += '[';
    nodes.forEach((n, k) => {
      this.text += (k > 0 ? ',' : '') + (this.pretty ? `\n${'  '.repeat(depth + 1)}` : '');
      write(n, depth + 1);
    });
    this.close(']', depth, false);
  }

  /** A node's _raw array (print.c, write_json_proto_node_hex_dump); `bare` for the items of an expert subtree, which cover no bytes. */
  private rawArray(n: TreeNode, depth: number, bare: boolean): void {
    const f = n.field;
    const items: string[] = [];
    if (!bare) items.push(jsonQuoted(this.j.text(rawValue(this.j.d, n))));
    const start = bare ? 0 : n.off < 0 ? this.protocolStart : n.outside !== undefined ? n.outside.off : n.off - this.j.d.frameOff;
    items.push(String(start), String(bare || n.off < 0 ? 0 : n.len), String(f.mask ?? 0), String(ftenumNumber(f)));
    this.text += '[';
    items.forEach((item, k) => {
      this.text += (k > 0 ? ',' : '') + (this.pretty ? `\n${'  '.repeat(depth + 1)}` : '') + item;
    });
    this.close(']', depth, false);
  }

  private noValue(n: TreeNode): void {
    this.text += jsonQuoted(this.j.text(tsharkType(n.field) === 'FT_PROTOCOL' ? n.text : ''));
  }

  /**
   * An object of `nodes` at `depth`. Past `fold` levels (tshark's -j), and for a key `names` does
   * not hold, a subtree is written as `{"filtered": KEY}` only. `bare`: within an expert item.
   */
  object(nodes: TreeNode[], depth: number, fold = Infinity, names?: ReadonlySet<string>, bare = false): void {
    const { values: printValues, raw } = this.print;
    this.text += '{';
    let first = true;
    for (const group of this.grouped ? groupByKey(nodes) : nodes.map((n) => [n])) {
      const n = group[0];
      const key = jsonKey(n);
      const value = hasJsonValue(n);
      const textNode = n.field.textNode === true;
      const inExpert = bare || n.name === '_ws.expert';
      // tshark leaves out the raw bytes of a node that covers none when it prints values too.
      if (raw && !textNode && (!printValues || (!inExpert && n.off >= 0 && n.len > 0))) {
        this.member(`${key}_raw`, depth + 1, first);
        first = false;
        this.values(group, depth + 1, (c, at) => this.rawArray(c, at, inExpert));
      }
      if (value && printValues) {
        this.member(key, depth + 1, first);
        first = false;
        this.values(group, depth + 1, (c) => { this.text += jsonQuoted(c.field.type === FT.None ? this.j.text(c.value) : this.j.value(c.field, c.index)); });
      }
      if (group.some((c) => c.children.length > 0)) {
        this.member(value ? `${key}_tree` : key, depth + 1, first);
        first = false;
        this.values(group, depth + 1, (c, at) => {
          if (c.children.length === 0) this.noValue(c);
          else if (fold <= 1 || (names !== undefined && !names.has(key))) this.filtered(key, at);
          else {
            const outer = this.protocolStart;
            if (isProtocol(c.field) && c.off >= 0 && c.outside === undefined) this.protocolStart = c.off - this.j.d.frameOff;
            this.object(c.children, at, fold - 1, undefined, inExpert);
            this.protocolStart = outer;
          }
        });
      } else if (!value && (printValues || textNode)) {
        this.member(key, depth + 1, first);
        first = false;
        this.values(group, depth + 1, (c) => this.noValue(c));
      }
    }
    this.close('}', depth, first);
  }

  filtered(key: string, depth: number): void {
    this.text += '{';
    this.member('filtered', depth + 1, true);
    this.text += jsonQuoted(key);
    this.close('}', depth, false);
  }
}

/** What a JSON document prints of each node: its value, its raw bytes (-x, -T jsonraw), or both. */
export interface JsonPrint {
  values: boolean;
  raw: boolean;
}
const TEXT_ONLY: JsonPrint = { values: true, raw: false };

/**
 * The first item of a node's _raw array: a bit field's value in capital hex (tshark prints the
 * value under the mask, not the byte), else the bytes it covers in hex, cut as a value is cut.
 */
function rawValue(d: Dissection, n: TreeNode): string {
  const f = n.field;
  if (f.mask !== undefined && f.mask !== 0 && f.num !== undefined && (f.type === FT.UInt || f.type === FT.Int || f.type === FT.Hex || f.type === FT.Bool)) {
    const v = f.num(d, n.index);
    // as tshark's (guint) cast: a negative 32-bit value in two's complement
    return (v < 0 ? v >>> 0 : Math.floor(v)).toString(16).toUpperCase();
  }
  const b = n.outside ?? (n.off >= 0 ? { buf: d.buf, off: n.off, len: n.len } : null);
  if (b === null) return '';
  const len = Math.max(0, Math.min(b.len, b.buf.length - b.off));
  // Only as many bytes as a value keeps are turned into text: a reassembled body may be megabytes.
  const kept = Math.min(len, MAX_VALUE_CHARS >> 1);
  const hex = b.buf.toString('hex', b.off, b.off + kept);
  return kept === len ? hex : hex + cutMark((len - kept) * 2);
}

/** Nodes grouped by their key, in the order each key first occurs. */
function groupByKey(nodes: TreeNode[]): TreeNode[][] {
  const groups = new Map<string, TreeNode[]>();
  for (const n of nodes) {
    const key = jsonKey(n);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [n]);
    else g.push(n);
  }
  return [...groups.values()];
}

/**
 * The fields -e names, as tshark's -T json -e writes them: protocol → field → its values (one value
 * alone, several in an array).
 */
export function packetLayers(d: Dissection, only: FieldDef[]): Record<string, unknown> {
  const j = new JsonValues(d);
  const flat: Record<string, Record<string, unknown>> = {};
  for (const f of only) {
    const n = f.count(d);
    if (n === 0) continue;
    const values: string[] = [];
    for (let i = 0; i < n; i++) values.push(j.value(f, i));
    (flat[f.proto] ??= {})[f.name] = values.length === 1 ? values[0] : values;
  }
  return flat;
}

/** The Elasticsearch index a packet's document names, by the packet's day (tshark's write_json_index). */
export function indexName(d: Dissection): string {
  const date = new Date(d.tsSec * 1000);
  return `packets-${Number.isNaN(date.getTime()) ? '1970-01-01' : date.toISOString().slice(0, 10)}`;
}

/**
 * One frame's document as -T json writes it: pretty, as an element of the capture's array after
 * `first` or another (its comma and indentation included), else on one line of its own.
 */
export function packetJson(d: Dissection, o: { pretty: boolean; grouped: boolean; first?: boolean; match?: ProtocolMatch; print?: JsonPrint }): string {
  const w = new JsonTreeText(new JsonValues(d), o.pretty, o.grouped, o.print);
  const depth = o.pretty ? 1 : 0;
  w.text = !o.pretty ? '{' : o.first !== false ? '[\n  {' : ',\n  {';
  w.member('_index', depth + 1, true);
  w.text += jsonQuoted(indexName(d));
  w.member('_type', depth + 1, false);
  w.text += '"doc"';
  w.member('_score', depth + 1, false);
  w.text += 'null';
  w.member('_source', depth + 1, false);
  w.text += '{';
  w.member('layers', depth + 2, true);
  // -j shows the named protocols with their subtrees folded, -J in full; the others are only named.
  const { match } = o;
  w.object(protocolTree(d), depth + 2, match === undefined || match.expand ? Infinity : 2, match?.names);
  w.text += o.pretty ? `\n${'  '.repeat(depth + 1)}}\n${'  '.repeat(depth)}}` : '}}\n';
  return w.text;
}

/** How -T json writes: pretty (json) or one line a packet (ndjson), repeating keys or grouping them. */
export interface JsonOptions {
  ndjson: boolean;
  /** tshark's --no-duplicate-keys: the nodes of one key in an array (always so in ndjson). */
  noDuplicateKeys?: boolean;
  /** -e: only these fields, flat. */
  only?: FieldDef[];
  /** -j / -J. */
  match?: ProtocolMatch;
  /** Values, raw bytes (-T jsonraw) or both (-x); values alone by default. */
  print?: JsonPrint;
}

export class JsonSink implements Sink {
  private first = true;

  constructor(private readonly out: OutputBuffer, private readonly opts: JsonOptions) {}

  frame(d: Dissection): void {
    const { ndjson, only, match } = this.opts;
    if (only !== undefined) {
      const doc = { _index: indexName(d), _type: 'doc', _score: null, _source: { layers: packetLayers(d, only) } };
      if (ndjson) this.out.write(JSON.stringify(doc) + '\n');
      else {
        // In an array, JSON.stringify indents the document as tshark's list does.
        const text = JSON.stringify([doc], null, 2);
        this.out.write((this.first ? '[\n' : ',\n') + text.slice(2, text.length - 2));
      }
      this.first = false;
      return;
    }
    this.out.write(packetJson(d, { pretty: !ndjson, grouped: ndjson || this.opts.noDuplicateKeys === true, first: this.first, match, print: this.opts.print }));
    this.first = false;
  }

  end(): void {
    if (!this.opts.ndjson) this.out.write(this.first ? '[\n]\n' : '\n]\n');
    this.out.flush();
  }
}

/** XML attribute text: the five characters XML reserves, and control characters tshark escapes too. */
function xmlAttr(s: string): string {
  return sanitizeText(s).replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/**
 * tshark's PDML (`-T pdml`): one <packet> per frame, a <proto> per protocol instance and a <field>
 * per tree node, each with its display text, its value and the bytes it covers, as tshark writes them.
 */
export class PdmlSink implements Sink {
  private started = false;

  constructor(private readonly out: OutputBuffer, private readonly captureFile: string) {}

  private start(): void {
    this.started = true;
    this.out.write('<?xml version="1.0" encoding="utf-8"?>\n<pdml version="0" creator="tcpwatch/0.1.0" time="' +
      xmlAttr(new Date().toString()) + '" capture_file="' + xmlAttr(this.captureFile) + '">\n');
  }

  frame(d: Dissection): void {
    if (!this.started) this.start();
    let s = '<packet>\n';
    const node = (n: TreeNode, depth: number, tag: 'proto' | 'field', closeDepth = depth): void => {
      const pad = '  '.repeat(depth);
      if (n.name === 'data' && n.field.proto === 'data') {
        // tshark writes its data protocol as a field holding the bytes' hex, without showname or place.
        const b = n.outside ?? { buf: d.buf, off: n.off, len: n.off >= 0 ? n.len : 0 };
        s += `${pad}<field name="data" value="${b.buf.toString('hex', b.off, b.off + b.len)}">\n`;
        for (const c of n.children) node(c, depth + 1, 'field');
        s += `${'  '.repeat(closeDepth)}</field>\n`;
        return;
      }
      s += `${pad}<${tag} name="${n.field.textNode === true ? '' : xmlAttr(n.name)}" showname="${xmlAttr(n.text)}"${n.hidden ? ' hide="yes"' : ''} size="${n.off >= 0 ? n.len : 0}" pos="${n.off >= 0 ? n.off - d.frameOff : 0}"`;
      if (tag === 'field' && n.field.type !== FT.None) {
        // Bytes show as tshark's text of them, hex pairs joined by colons; the value attribute has them bare.
        s += ` show="${xmlAttr(n.field.type === FT.Bytes ? formatField(n.field, d, n.index, 'json') : n.value)}"`;
        if (n.off >= 0 && n.len > 0) s += ` value="${d.buf.toString('hex', n.off, n.off + n.len)}"`;
      }
      if (n.children.length === 0) {
        // tshark closes an empty protocol in its opening tag as it does a field (Raw packet data)
        s += '/>\n';
        return;
      }
      s += '>\n';
      for (const c of n.children) node(c, depth + 1, c.field.type === FT.None && c.field.name === c.field.proto ? 'proto' : 'field');
      s += `${'  '.repeat(closeDepth)}</${tag}>\n`;
    };
    for (const root of protocolTree(d)) {
      // A field at the top of the tree (data, TCP's reassembled segments) stands in tshark's wrapper.
      if (root.name !== 'data' && isProtocol(root.field)) node(root, 1, 'proto');
      else {
        // tshark's wrapper also closes the field.
        s += '  <proto name="fake-field-wrapper">\n';
        node(root, 2, 'field', 1);
        s += '  </proto>\n';
      }
    }
    s += '</packet>\n';
    this.out.write(s);
  }

  end(): void {
    if (!this.started) this.start();
    this.out.write('</pdml>\n');
    this.out.flush();
  }
}

export type { DetailNode };
export { buildDetails };
