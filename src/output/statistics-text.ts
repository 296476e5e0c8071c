// The -z statistics as tshark 4.0 prints them: conversations, endpoints, the protocol hierarchy
// and followed streams, column for column. Addresses and payload text from packets pass through
// the sanitizer before they reach a terminal.

import { ConversationTable, EndpointTable, KIND_TITLES } from '../reports/statistics/conversations';
import { ProtocolHierarchy, HierarchyNode } from '../reports/statistics/hierarchy';
import { StreamFollower } from '../reports/statistics/follow';
import { sanitizeText } from './sanitize';

const RULE80 = '='.repeat(80);
const RULE67 = '='.repeat(67);

const padEnd = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padStart = (s: string | number, n: number): string => String(s).padStart(n);

/** A byte count as tshark's format_size writes it (SI prefixes, whole numbers): "8493 bytes", "220 kB". */
export function formatSize(n: number): string {
  const units: [number, string][] = [[1e15, 'PB'], [1e12, 'TB'], [1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  for (const [p, u] of units) if (Math.floor(n / p) >= 10) return `${Math.floor(n / p)} ${u}`;
  return `${n} bytes`;
}

function filterLine(filter: string | undefined): string {
  return `Filter:${filter ?? '<No Filter>'}\n`;
}

export function conversationsText(t: ConversationTable, filter?: string): string {
  const ports = t.kind === 'tcp' || t.kind === 'udp';
  const lead = ' '.repeat(ports ? 59 : 47);
  let s = `${RULE80}\n${KIND_TITLES[t.kind]} Conversations\n${filterLine(filter)}`;
  s += `${lead}|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n`;
  s += `${lead}| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n`;
  const w = ports ? 26 : 20;
  for (const r of t.sorted()) {
    const a = ports ? `${r.a.addr}:${r.a.port}` : r.a.addr;
    const b = ports ? `${r.b.addr}:${r.b.port}` : r.b.addr;
    s += `${padEnd(sanitizeText(a), w)} <-> ${padEnd(sanitizeText(b), w)}  ` +
      `${padStart(r.rxFrames, 6)} ${padEnd(formatSize(r.rxBytes), 9)}  ` +
      `${padStart(r.txFrames, 6)} ${padEnd(formatSize(r.txBytes), 9)}  ` +
      `${padStart(r.rxFrames + r.txFrames, 6)} ${padEnd(formatSize(r.rxBytes + r.txBytes), 9)}  ` +
      `${padStart(r.start.toFixed(9), 14)}   ${padStart((r.stop - r.start).toFixed(4), 12)}\n`;
  }
  return s + `${RULE80}\n`;
}

export function endpointsText(t: EndpointTable, filter?: string): string {
  const ports = t.kind === 'tcp' || t.kind === 'udp';
  let s = `${RULE80}\n${KIND_TITLES[t.kind]} Endpoints\n${filterLine(filter)}`;
  s += `                       |  ${ports ? 'Port  ||  ' : ''}Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n`;
  for (const r of t.sorted()) {
    s += `${padEnd(sanitizeText(r.party.addr), 20)}      ${ports ? `${padStart(r.party.port, 5)}     ` : ''}` +
      `${padStart(r.txFrames + r.rxFrames, 6)}     ${padStart(r.txBytes + r.rxBytes, 9)}     ` +
      `${padStart(r.txFrames, 6)}       ${padStart(r.txBytes, 9)}      ${padStart(r.rxFrames, 6)}       ${padStart(r.rxBytes, 9)}   \n`;
  }
  return s + `${RULE80}\n`;
}

/** tshark cuts a hierarchy line at 79 characters and writes "..." past 16 levels. */
const MAX_PHS_LINE = 79;

export function hierarchyText(h: ProtocolHierarchy, filter?: string): string {
  let s = `\n${RULE67}\nProtocol Hierarchy Statistics\nFilter: ${filter ?? ''}\n\n`;
  const walk = (nodes: HierarchyNode[], depth: number): void => {
    for (const n of nodes) {
      let name = '';
      for (let i = 0; i < depth; i++) {
        if (i > 15) { name += '...'; break; }
        name += '  ';
      }
      name = (name + sanitizeText(n.name)).slice(0, MAX_PHS_LINE);
      s += `${padEnd(name, 40)} frames:${n.frames} bytes:${n.bytes}\n`;
      walk(n.children, depth + 1);
    }
  };
  walk(h.root.children, 0);
  return s + `${RULE67}\n`;
}

export type FollowMode = 'ascii' | 'hex' | 'raw';

const HEX = '0123456789abcdef';

function hexLines(prefix: string, offset: number, data: Buffer): string {
  let s = '';
  for (let i = 0; i < data.length; i += 16) {
    const end = Math.min(data.length, i + 16);
    let hex = '', text = '';
    for (let j = i; j < end; j++) {
      const b = data[j];
      hex += HEX[b >> 4] + HEX[b & 15] + ' ';
      text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      if (j - i === 7) { hex += ' '; if (j + 1 < end) text += ' '; }
    }
    // tshark drops one space at the end of the text column, even a space byte's
    if (text.endsWith(' ')) text = text.slice(0, -1);
    s += `${prefix}${(offset + i).toString(16).toUpperCase().padStart(8, '0')}  ${padEnd(hex, 49)} ${text}\n`;
  }
  return s;
}

export function followText(f: StreamFollower, mode: FollowMode): string {
  let s = `\n${RULE67}\nFollow: ${f.proto},${mode}\nFilter: ${f.proto}.stream eq ${f.stream}\n`;
  const node = (addr: string, port: number): string => (f.ipv6 ? `[${addr}]:${port}` : `${addr}:${port}`);
  s += `Node 0: ${node(f.client, f.clientPort)}\nNode 1: ${node(f.server, f.serverPort)}\n`;
  let clientPos = 0, serverPos = 0;
  for (const c of f.chunks) {
    const tab = c.fromServer ? '\t' : '';
    if (mode === 'ascii') {
      let text = '';
      for (const b of c.data) text += b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) ? String.fromCharCode(b) : '.';
      s += `${tab}${c.data.length}\n${text}\n`;
    } else if (mode === 'raw') {
      s += `${tab}${c.data.toString('hex')}\n`;
    } else {
      s += hexLines(tab, c.fromServer ? serverPos : clientPos, c.data);
    }
    if (c.fromServer) serverPos += c.data.length; else clientPos += c.data.length;
  }
  return s + `${RULE67}\n`;
}
