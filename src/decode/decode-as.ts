// Decode As from the command line, as tshark 4.0 takes it: -d <layer type>==<selector>,<protocol>,
// such as tcp.port==8989,http, udp.port==5353,dns, tcp.port==8000-8010,http (a range),
// tcp.port==8000:3,http (three ports from 8000), ethertype==0x88b5,ip or ip.proto==253,udp (or ,data). A selector is a number as C's strtoul reads it
// with base 0 (0x1f90 hexadecimal, a leading 0 octal). Mistakes are reported in tshark's words; a
// single "=" is taken for "==" with a warning, as tshark does.
//
// What -d says lives in the protocol registry's Decode As tables (setDecodeAs), consulted before
// the ports the protocols registered.

import { Proto, PROTO_NAMES } from './dissection';
import { DecodeAsRule, dispatchIds, registeredProtocol, setDecodeAs } from './protocol-registry';

/** The layer types tcpwatch decodes as by, and the protocols each can hand a port to. */
const LAYER_TYPES = ['tcp.port', 'udp.port', 'ethertype', 'ip.proto'] as const;
type LayerType = typeof LAYER_TYPES[number];

const TEMPLATE = '"<layer_type>==<selector>,<decode_as_protocol>"';
/** The largest selector of each table, and what the selector is called in a mistake's line. */
const SELECTOR_LIMIT: Readonly<Record<LayerType, [number, string]>> = {
  'tcp.port': [65535, 'a port'], 'udp.port': [65535, 'a port'], ethertype: [0xffff, 'an EtherType'], 'ip.proto': [255, 'an IP protocol number'],
};

/**
 * Protocols a layer type can hand a frame to: data, for ports TLS over TCP and every registered
 * protocol that joins that table; for EtherTypes and IP protocol numbers, the layers the table
 * holds (fixed or registered).
 */
export function decodeAsProtocols(table: LayerType): string[] {
  if (table === 'ethertype' || table === 'ip.proto') {
    return ['data', ...[...dispatchIds(table)].filter((id) => id !== 0).map((id) => PROTO_NAMES[id])].sort();
  }
  const names = ['data'];
  if (table === 'tcp.port') names.push('tls');
  for (let id = 1; id < 256; id++) {
    const s = registeredProtocol(id)?.spec;
    if (s === undefined) continue;
    const joins = table === 'tcp.port' ? s.tcpPorts !== undefined || s.tcpPdu !== undefined : s.udpPorts !== undefined || s.udpHeuristic !== undefined;
    if (joins) names.push(s.name);
  }
  return names.sort();
}

/** The protocol id for `name` in `table`, or the error tshark gives. */
function protocolId(table: LayerType, name: string): number | string {
  const valid = decodeAsProtocols(table);
  // tshark still knows TLS by its old name.
  const wanted = name === 'ssl' && table === 'tcp.port' ? 'tls' : name;
  const list = `valid protocols for layer type "${table}" are ${valid.join(', ')}`;
  if (!valid.includes(wanted)) {
    return PROTO_NAMES.includes(wanted) ? `-d: protocol "${name}" isn't valid for layer type "${table}"; ${list}` : `-d: unknown protocol -- "${name}"; ${list}`;
  }
  if (wanted === 'data') return Proto.Data;
  if (wanted === 'tls') return Proto.Tls;
  return PROTO_NAMES.indexOf(wanted);
}

/** A selector number as strtoul(s, &end, 0) reads it with nothing left over, or -1. */
function selectorNumber(s: string): number {
  let m: RegExpExecArray | null;
  if ((m = /^0[xX]([0-9a-fA-F]+)$/.exec(s)) !== null) return parseInt(m[1], 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9][0-9]*$/.test(s)) return Number(s);
  return -1;
}

/** Selectors [first, last] a selector names (N, N-M or N:COUNT) in `table`, or the error tshark gives. */
function selectorRange(s: string, table: LayerType): [number, number] | string {
  const [max, what] = SELECTOR_LIMIT[table];
  const range = /^([^-:]*)([-:])(.*)$/.exec(s);
  if (range === null) {
    const n = selectorNumber(s);
    if (n < 0) return `-d: invalid selector number "${s}"`;
    if (n > max) return `-d: invalid selector number "${s}": ${what} is 0 to ${max}`;
    return [n, n];
  }
  const a = selectorNumber(range[1]);
  const b = selectorNumber(range[3]);
  if (a < 0 || b < 0 || (range[2] === '-' ? b < a : b === 0)) return `-d: invalid selector numeric range "${s}"`;
  const last = range[2] === '-' ? b : a + b - 1;
  if (last > max) return `-d: invalid selector numeric range "${s}": ${what} is 0 to ${max}`;
  return [a, last];
}

export interface ParsedDecodeAs {
  rule?: DecodeAsRule;
  /** The one-line mistake, tshark's words with what tcpwatch accepts. */
  error?: string;
  /** tshark's warning for a single "=". */
  warning?: string;
}

/** One -d argument. */
export function parseDecodeAs(arg: string): ParsedDecodeAs {
  let spec = arg.replace(/^\s+/, '');
  const eq = spec.indexOf('=');
  if (eq < 0) return { error: `-d: parameter "${arg}" doesn't follow the template ${TEMPLATE}` };
  let warning: string | undefined;
  if (spec[eq + 1] !== '=') {
    spec = `${spec.slice(0, eq)}==${spec.slice(eq + 1)}`;
    warning = `-d requires "==" instead of "=". Option will be treated as "${spec}"`;
  }
  const layer = spec.slice(0, eq).replace(/\s+$/, '');
  if (layer === '') return { error: `-d: no layer type specified; tcpwatch decodes as by ${LAYER_TYPES.join(' or ')}` };
  if (!(LAYER_TYPES as readonly string[]).includes(layer)) {
    return { error: `-d: unknown layer type -- ${layer}; tcpwatch decodes as by ${LAYER_TYPES.join(' or ')}` };
  }
  const table = layer as LayerType;
  const rest = spec.slice(eq + 2).replace(/^\s+/, '');
  const comma = rest.indexOf(',');
  if (comma < 0) return { error: `-d: parameter "${arg}" doesn't follow the template ${TEMPLATE}` };
  const ports = selectorRange(rest.slice(0, comma), table);
  if (typeof ports === 'string') return { error: ports };
  const name = rest.slice(comma + 1).trim();
  if (name === '') return { error: `-d: no protocol name specified; valid protocols for layer type "${table}" are ${decodeAsProtocols(table).join(', ')}` };
  const id = protocolId(table, name);
  if (typeof id === 'string') return { error: id };
  return { rule: { table, first: ports[0], last: ports[1], id }, warning };
}

/**
 * Parse every -d of a run and make them this run's Decode As rules; on a mistake nothing changes and
 * the first mistake is returned. The warnings are tshark's for a single "=".
 */
export function applyDecodeAs(args: readonly string[]): { error?: string; warnings: string[] } {
  const rules: DecodeAsRule[] = [];
  const warnings: string[] = [];
  for (const a of args) {
    const p = parseDecodeAs(a);
    if (p.error !== undefined) return { error: p.error, warnings };
    if (p.warning !== undefined) warnings.push(p.warning);
    rules.push(p.rule!);
  }
  setDecodeAs(rules);
  return { warnings };
}
