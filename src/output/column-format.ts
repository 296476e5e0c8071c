// The packet list's columns as Wireshark configures them: the `gui.column.format` preference, a list
// of title and format pairs ("No.", "%m", "Info", "%i", "TTL", "%Cus:ip.ttl:0:R"). One parser for
// the command line's `-o gui.column.format:…`, a profile's preferences file and the UI; one writer
// for tshark's summary line over any columns (its print_columns layout: the number right-aligned in
// 5 places, times in 10, the source right-aligned and the destination left-aligned in 12, an arrow
// between a source and the destination after it, one space elsewhere).

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from '../fields/frame-numbers';
import { FieldDef, FT, getField, nearestFieldName } from '../fields/registry';
import { formatField, booleanWords } from '../fields/format';
import { sourceColumn, destinationColumn, appSummary, transportProtocol, infoColumn, RIGHT_ARROW } from './summary';
import { timeColumn } from './time-format';
import { sanitizeText } from './sanitize';
import { cutText } from './text-writer';
import { UsageError } from '../errors';

export const COLUMN_FORMAT_PREF = 'gui.column.format';

export type ColumnKind = 'number' | 'time' | 'source' | 'destination' | 'protocol' | 'length' | 'info' | 'custom';

/** Wireshark's column format codes for the columns tcpwatch draws (epan/column.c's col_format_to_string). */
const FORMAT_KINDS: Readonly<Record<string, ColumnKind>> = {
  '%m': 'number', '%t': 'time', '%s': 'source', '%d': 'destination', '%p': 'protocol', '%L': 'length', '%i': 'info',
};
const CUSTOM_PREFIX = '%Cus:';

export interface ColumnSpec {
  title: string;
  kind: ColumnKind;
  /** For a custom column: the field, which occurrence (0 all, n the n-th, -n the n-th from the end), and whether value names replace numbers. */
  field: FieldDef | null;
  occurrence: number;
  resolved: boolean;
}

/** The columns the last -o gui.column.format names (tshark keeps the last), or undefined. */
export function columnsFromPrefs(prefs: readonly string[]): ColumnSpec[] | undefined {
  let value: string | undefined;
  for (const p of prefs) {
    const colon = p.indexOf(':');
    if (colon > 0 && p.slice(0, colon).trim() === COLUMN_FORMAT_PREF) value = p.slice(colon + 1);
  }
  return value === undefined ? undefined : parseColumnFormat(value);
}

/** Wireshark's default columns, as its preferences write them. */
export const DEFAULT_COLUMN_FORMAT = '"No.", "%m", "Time", "%t", "Source", "%s", "Destination", "%d", "Protocol", "%p", "Length", "%L", "Info", "%i"';

/** The quoted strings of a Wireshark string-list preference ("a", "b\"c", bare words too). */
export function parseStringList(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ',' || text[i] === '\n' || text[i] === '\r' || text[i] === '\\')) i++;
    if (i >= n) break;
    let s = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) i++;
        s += text[i++];
      }
      if (i >= n) throw new UsageError(`invalid ${COLUMN_FORMAT_PREF}: a quote is not closed`);
      i++;
    } else {
      while (i < n && text[i] !== ',') s += text[i++];
      s = s.trim();
    }
    out.push(s);
  }
  return out;
}

/** The columns `value` lists; a format tcpwatch does not draw or a field it does not know is one line for the user. */
export function parseColumnFormat(value: string): ColumnSpec[] {
  const items = parseStringList(value);
  if (items.length === 0 || items.length % 2 !== 0) {
    throw new UsageError(`invalid ${COLUMN_FORMAT_PREF}: expected pairs of title and format, such as "No.","%m","Info","%i"`);
  }
  const out: ColumnSpec[] = [];
  for (let k = 0; k < items.length; k += 2) out.push(columnSpec(items[k], items[k + 1]));
  return out;
}

export function columnSpec(title: string, format: string): ColumnSpec {
  const kind = FORMAT_KINDS[format];
  if (kind !== undefined) return { title, kind, field: null, occurrence: 0, resolved: false };
  if (!format.startsWith(CUSTOM_PREFIX)) {
    throw new UsageError(`unknown column format "${format}" in ${COLUMN_FORMAT_PREF}: tcpwatch draws ${Object.keys(FORMAT_KINDS).join(' ')} and %Cus:FIELD[:OCCURRENCE[:R|U]]`);
  }
  // %Cus:FIELD:OCCURRENCE:R (R: resolved, U: unresolved; Wireshark 4.0 writes both, and R when none is given)
  const parts = format.slice(CUSTOM_PREFIX.length).split(':');
  const name = parts[0].trim();
  const field = getField(name);
  if (field === undefined) {
    const near = nearestFieldName(name);
    throw new UsageError(`unknown field "${name}" in column "${title}"${near ? ` (did you mean "${near}"?)` : ''}`);
  }
  const occurrence = parts.length > 1 && parts[1] !== '' ? Number(parts[1]) : 0;
  if (!Number.isInteger(occurrence)) throw new UsageError(`invalid occurrence "${parts[1]}" in column "${title}": a whole number (0: all)`);
  const flag = parts.length > 2 ? parts[2] : 'R';
  if (flag !== 'R' && flag !== 'U') throw new UsageError(`invalid "${flag}" in column "${title}": R (resolved) or U (unresolved)`);
  return { title, kind: 'custom', field, occurrence, resolved: flag === 'R' };
}

/** A custom column for a field, as the details pane adds one (Wireshark's Apply as Column: every occurrence). */
export function customColumn(field: FieldDef, resolved = false): ColumnSpec {
  return { title: field.label, kind: 'custom', field, occurrence: 0, resolved };
}

export function formatCode(c: ColumnSpec): string {
  if (c.kind !== 'custom') return Object.keys(FORMAT_KINDS).find((k) => FORMAT_KINDS[k] === c.kind)!;
  return `${CUSTOM_PREFIX}${c.field!.name}:${c.occurrence}:${c.resolved ? 'R' : 'U'}`;
}

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The preference's value for these columns, as Wireshark writes it. */
export function columnFormatText(cols: readonly ColumnSpec[]): string {
  return cols.map((c) => `${quote(c.title)}, ${quote(formatCode(c))}`).join(', ');
}

/**
 * A custom column's text for the frame: the occurrences it names joined with commas (as Wireshark
 * and -T fields join them), numbers replaced by their value names when resolved; sanitized.
 */
export function customValue(c: ColumnSpec, d: Dissection): string {
  const f = c.field!;
  const n = f.count(d);
  if (n === 0) return '';
  let from = 0, to = n;
  if (c.occurrence > 0) {
    if (c.occurrence > n) return '';
    from = c.occurrence - 1;
    to = from + 1;
  } else if (c.occurrence < 0) {
    if (-c.occurrence > n) return '';
    from = n + c.occurrence;
    to = from + 1;
  }
  let out = '';
  for (let i = from; i < to; i++) {
    if (i > from) out += ',';
    out += occurrenceText(c, f, d, i);
  }
  return sanitizeText(cutText(out));
}

/** What tshark 4.0 shows for a protocol or a presence-only field that is there, resolved or not. */
const PRESENT_MARK = '\u2713';

/**
 * One occurrence as tshark's custom column shows it: resolved (R), a boolean in its words and a
 * number through its value names (a value they do not name in decimal, as proto_custom_set falls
 * back); unresolved (U), the number; either way hex at the mask's width (0x002).
 */
function occurrenceText(c: ColumnSpec, f: FieldDef, d: Dissection, i: number): string {
  if (f.type === FT.None) return PRESENT_MARK;
  if (c.resolved && f.num !== undefined) {
    if (f.type === FT.Bool) return booleanWords(f, d, i);
    if (f.valueNames !== undefined && (f.type === FT.UInt || f.type === FT.Hex || f.type === FT.Int)) {
      const v = f.num(d, i);
      return f.valueNames[v] ?? String(v);
    }
  }
  return formatField(f, d, i, 'display');
}

/** Column k's text for the frame (headless; the UI's packet list reads its built-in columns from the packet index). */
export function columnText(c: ColumnSpec, d: Dissection, timeDigits: number): string {
  switch (c.kind) {
    case 'number': return String(shownFrameNumber(d.number));
    case 'time': return timeColumn(d, timeDigits);
    case 'source': return sourceColumn(d);
    case 'destination': return destinationColumn(d);
    case 'protocol': {
      const app = appSummary(d);
      return app !== null ? sanitizeText(app.protocol) : transportProtocol(d);
    }
    case 'length': return String(d.origLen);
    case 'info': return sanitizeText(infoColumn(d));
    case 'custom': return customValue(c, d);
  }
}

/** tshark's summary line over these columns (print_columns in tshark.c). */
export function columnsLine(cols: readonly ColumnSpec[], d: Dissection, timeDigits: number): string {
  return layColumns(cols, cols.map((c) => columnText(c, d, timeDigits)));
}

/** Column values laid out as tshark's summary line lays them: padded by kind, an arrow between a source and its destination. */
export function layColumns(cols: readonly ColumnSpec[], values: readonly string[]): string {
  let line = '';
  for (let k = 0; k < cols.length; k++) {
    const c = cols[k];
    const v = values[k];
    switch (c.kind) {
      case 'number': line += v.padStart(5); break;
      case 'time': line += v.padStart(10); break;
      case 'source': line += v.padStart(12); break;
      case 'destination': line += v.padEnd(12); break;
      default: line += v;
    }
    if (k === cols.length - 1) break;
    const next = cols[k + 1].kind;
    if (c.kind === 'source' && next === 'destination') line += ` ${RIGHT_ARROW} `;
    else if (c.kind === 'destination' && next === 'source') line += ' \u2190 ';
    else line += ' ';
  }
  return line;
}
