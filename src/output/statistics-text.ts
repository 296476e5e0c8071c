// The -z statistics as tshark 4.0 prints them: conversations, endpoints, the protocol hierarchy
// and followed streams, column for column. Addresses and payload text from packets pass through
// the sanitizer before they reach a terminal.

import { ConversationTable, ConversationRow, EndpointTable, KIND_TITLES } from '../reports/statistics/conversations';
import { ProtocolHierarchy, HierarchyNode } from '../reports/statistics/hierarchy';
import { StreamFollower, followFilter } from '../reports/statistics/follow';
import { IoStatistics, MAX_INTERVALS } from '../reports/statistics/io-stat';
import { ExpertInfo } from '../reports/statistics/expert';
import { SegmentPairs, MAX_PAIRED_SEGMENTS, quantile, RetransmissionCause } from '../reports/statistics/pairs';
import { StatsTree, StatNode, SORT_TOP, BURST_WINDOW_MS, displayName } from '../reports/statistics/stats-tree';
import { interfaceName } from '../capture/interface-names';
import { ExpertSeverity } from '../fields/registry';
import { protocolShortName } from '../fields/glossary';
import { sanitizeText } from './sanitize';
import { followAsciiBytes, followHexLines } from './hexdump';
import { timeType, absoluteTime } from './time-format';

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
  // the Start column follows -t: a time of day, a date and time, seconds since the epoch, or relative
  const tt = timeType();
  const clock = tt === 'a' || tt === 'u', dated = tt === 'ad' || tt === 'ud' || tt === 'adoy' || tt === 'udoy';
  const unit = clock || dated ? 'Size ' : 'Bytes';
  const [head1, head2] = clock ? [' Absolute Time  ', '      Start     '] : dated ? [' Absolute Date  ', '     Start      '] : tt === 'e' ? ['       Relative       ', '         Start        '] : ['    Relative    ', '      Start     '];
  s += `${lead}|       <-      | |       ->      | |     Total     |${head1}|   Duration   |\n`;
  s += `${lead}| Frames  ${unit} | | Frames  ${unit} | | Frames  ${unit} |${head2}|              |\n`;
  const start = (r: ConversationRow): string => {
    if (clock || dated) {
      return absoluteTime(r.startSec, r.startNsec, 0, tt[0] === 'u', tt.endsWith('doy') ? 'doy' : dated ? 'ymd' : '');
    }
    if (tt === 'e') return padStart((r.startSec + r.startNsec / 1e9).toFixed(9), 20);
    return padStart(r.start.toFixed(9), 14);
  };
  const w = ports ? 26 : 20;
  for (const r of t.sorted()) {
    const a = ports ? `${r.a.addr}:${r.a.port}` : r.a.addr;
    const b = ports ? `${r.b.addr}:${r.b.port}` : r.b.addr;
    s += `${padEnd(sanitizeText(a), w)} <-> ${padEnd(sanitizeText(b), w)}  ` +
      `${padStart(r.rxFrames, 6)} ${padEnd(formatSize(r.rxBytes), 9)}  ` +
      `${padStart(r.txFrames, 6)} ${padEnd(formatSize(r.txBytes), 9)}  ` +
      `${padStart(r.rxFrames + r.txFrames, 6)} ${padEnd(formatSize(r.rxBytes + r.txBytes), 9)}  ` +
      `${start(r)}   ${padStart((r.stop - r.start).toFixed(4), 12)}\n`;
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

export function followText(f: StreamFollower, mode: FollowMode): string {
  let s = `\n${RULE67}\nFollow: ${f.proto},${mode}\nFilter: ${followFilter(f.proto, f.stream, f.substream)}\n`;
  // An end tshark never learnt (node 1 of follow,tls; both when nothing was followed) prints as ":0".
  const node = (addr: string, port: number): string => (f.ipv6 && addr !== '' ? `[${addr}]:${port}` : `${addr}:${port}`);
  s += `Node 0: ${node(f.client, f.clientPort)}\nNode 1: ${node(f.server, f.serverPort)}\n`;
  let clientPos = 0, serverPos = 0;
  for (const c of f.chunks) {
    const tab = c.fromServer ? '\t' : '';
    if (mode === 'ascii') {
      s += `${tab}${c.data.length}\n${followAsciiBytes(c.data).toString('latin1')}\n`;
    } else if (mode === 'raw') {
      s += `${tab}${c.data.toString('hex')}\n`;
    } else {
      for (const line of followHexLines(c.data, c.fromServer ? serverPos : clientPos)) s += `${tab}${line}\n`;
    }
    if (c.fromServer) serverPos += c.data.length; else clientPos += c.data.length;
  }
  return s + `${RULE67}\n`;
}

/** Digits of a whole number, at least 1 and at most `max` (tshark's magnitude()). */
function magnitude(v: number, max: number): number {
  let mag = 0;
  for (let i = 0; i < max; i++) {
    mag++;
    v = Math.floor(v / 10);
    if (v === 0) break;
  }
  return mag;
}

/** A column label centred the way tshark centres it (and, as tshark, nothing for very wide columns). */
function printcenter(label: string, width: number): string {
  const spaces = '      ';
  const len = spaces.length - (Math.floor((width - label.length) / 2) + 1);
  if (len > 0 && len < 6) {
    const sp = spaces.slice(len);
    return (width - label.length) % 2 === 0 ? `${sp}${label}${sp}|` : `${spaces.slice(len - 1)}${label}${sp}|`;
  }
  if (len > 0 && len <= 15) return `${label}|`;
  return '';
}

/** Seconds and microseconds as text with `prec` decimals (0 to 6). */
export function usText(us: number, prec: number): string {
  const sec = Math.floor(us / 1e6);
  if (prec === 0) return String(sec);
  return `${sec}.${String(Math.floor((us % 1e6) / 10 ** (6 - prec))).padStart(prec, '0')}`;
}

export function ioStatText(io: IoStatistics): string {
  let duration = io.durationUs;
  let interval = io.intervalUs;
  const whole = interval === 0 || interval > duration;
  if (whole) interval = duration;
  const durMag0 = magnitude(Math.floor(duration / 1e6), 5);
  const invlMag = magnitude(Math.floor(interval / 1e6), 5);
  let prec: number;
  let borderlen: number;
  if (whole) {
    prec = durMag0 >= 2 ? 1 : durMag0 === 1 ? 3 : 6;
    borderlen = 30 + durMag0 + (prec === 0 ? 0 : prec + 1);
  } else {
    prec = io.precision;
    borderlen = 25 + Math.max(invlMag, durMag0) + (prec === 0 ? 0 : prec + 1);
  }
  const dv = 10 ** (6 - prec);
  if (duration % dv > 5 * (dv / 10)) duration = Math.floor((duration + 5 * (dv / 10)) / dv) * dv;
  if (whole) interval = duration;
  const durMag = magnitude(Math.floor(duration / 1e6), 5);
  let invlColW = prec === 0 ? 2 * durMag + 8 : 2 * durMag + 2 * prec + 10;
  invlColW = Math.max(invlColW, 12);

  const cols = io.columns.map((c) => ({ fr: Math.max(6, magnitude(c.maxFrames, 15)), val: Math.max(5, magnitude(c.maxBytes, 15)) }));
  const tabrowW = invlColW + cols.reduce((n, c) => n + c.fr + 3 + c.val + 3, 0);
  borderlen = Math.max(borderlen, tabrowW);
  let maxFilterW = 0;
  for (const c of io.columns) maxFilterW = Math.max(maxFilterW, c.filterText ? c.filterText.length + 11 : 26);
  if (maxFilterW > borderlen && borderlen < 102) borderlen = Math.min(maxFilterW, 102);
  if (borderlen - tabrowW === 1) borderlen++;

  const line = (body: string): string => `${body}${'|'.padStart(Math.max(1, borderlen - body.length))}\n`;
  let s = `\n${'='.repeat(borderlen)}\n`;
  s += `|${padEnd(' IO Statistics', borderlen - 2)}|\n|${' '.repeat(borderlen - 2)}|\n`;
  // the duration with microseconds when the interval is whole seconds, else with the interval's decimals
  const durPrec = prec === 0 ? 6 : prec;
  const durW = durMag0 + (prec === 0 ? 0 : prec + 1);
  const elapsedUs = io.elapsedSec * 1e6 + io.elapsedNsec / 1e3;
  const durRounded = Math.round(elapsedUs / 10 ** (6 - durPrec)) * 10 ** (6 - durPrec);
  // tshark places the closing bar where a time of the expected width would end (the seconds' digits
  // counted to at most 5), so a longer duration pushes it out; kept, byte for byte
  const timed = (label: string, text: string, width: number): string =>
    `| ${label}: ${text.padStart(durW)} secs${'|'.padStart(Math.max(1, borderlen - (17 + width)))}\n`;
  s += timed('Duration', usText(durRounded, durPrec), durMag0 + durPrec + 1);
  s += timed('Interval', usText(interval, prec), durW);
  s += `|${' '.repeat(borderlen - 2)}|\n`;
  io.columns.forEach((c, j) => {
    let head = j === 0 ? `| Col${String(j + 1).padStart(2)}: ` : `|    ${String(j + 1).padStart(2)}: `;
    if (!c.filterText) {
      s += line(`${head}Frames and bytes`);
      return;
    }
    let filter = sanitizeText(c.filterText);
    const maxW = borderlen - 11;
    while (filter.length > maxW) {
      const space = filter.lastIndexOf(' ', maxW - 1);
      const len = space > 0 ? space : maxW;
      s += line(`${head}${filter.slice(0, len)}`);
      head = '|        ';
      filter = filter.slice(space > 0 ? len + 1 : len);
    }
    s += line(`${head}${filter}`);
  });
  s += `|-${'-'.repeat(borderlen - 3)}|\n`;
  const filler = tabrowW < borderlen ? '|'.padStart(borderlen - tabrowW) : '';
  s += `|${'|'.padStart(invlColW - 1)}`;
  cols.forEach((c, j) => { s += `${String(j + 1).padEnd(2)}${' '.repeat(c.fr + c.val + 3)}|`; });
  s += `${filler}\n| Interval${'|'.padStart(invlColW - 10)}`;
  for (const c of cols) s += printcenter('Frames', c.fr) + printcenter('Bytes', c.val);
  s += `${filler}\n|-${'-'.repeat(tabrowW - 3)}|${filler}\n`;

  const rows = interval === 0 || duration === 0 ? 0 : Math.floor(duration / interval) + (duration % interval > 0 ? 1 : 0);
  const shown = Math.min(rows, MAX_INTERVALS);
  for (let i = 0; i < shown; i++) {
    const t = i * interval;
    const last = i === rows - 1;
    const end = last ? duration : t + interval;
    if (prec === 0) {
      const a = String(Math.floor(t / 1e6)).padStart(durMag);
      if (last) s += `| ${durMag === 1 ? ' ' : ''}${a} <> ${'Dur'.padEnd(durMag >= 3 ? durMag + 1 : 3)}|`;
      else if (durMag === 1) s += `|  ${a} <> ${String(Math.floor(end / 1e6)).padStart(durMag)}  |`;
      else s += `| ${a} <> ${String(Math.floor(end / 1e6)).padStart(durMag)} |`;
    } else {
      const fmt = (us: number): string => `${String(Math.floor(us / 1e6)).padStart(durMag)}.${String(Math.floor((us % 1e6) / dv)).padStart(prec, '0')}`;
      s += `| ${fmt(t)} <> ${fmt(end)} |`;
    }
    io.columns.forEach((c, j) => {
      const cell = c.cells.get(io.intervalUs === 0 ? 0 : Math.floor(t / io.intervalUs));
      s += ` ${String(cell?.frames ?? 0).padStart(cols[j].fr)} | ${String(cell?.bytes ?? 0).padStart(cols[j].val)} |`;
    });
    s += `${filler}\n`;
  }
  return s + `${'='.repeat(borderlen)}\n`;
}

const EXPERT_SECTIONS: [ExpertSeverity, string][] = [['Error', 'Errors'], ['Warning', 'Warns'], ['Note', 'Notes'], ['Chat', 'Chats'], ['Comment', 'Comments']];

export function expertText(e: ExpertInfo): string {
  let s = '';
  for (const [severity, title] of EXPERT_SECTIONS) {
    const n = e.perSeverity.get(severity) ?? 0;
    if (n === 0) continue;
    s += `\n${title} (${n})\n=============\n   Frequency      Group           Protocol  Summary\n`;
    for (const r of e.rows) {
      if (r.severity !== severity) continue;
      s += `${padStart(r.count, 12)} ${padStart(r.group, 10)} ${padStart(protocolShortName(r.proto), 18)}  ${sanitizeText(r.summary)}\n`;
    }
  }
  return s;
}

/** Retransmissions -z pairs lists one by one per direction; the counts cover them all. */
const MAX_RETRANSMISSIONS_LISTED = 1000;

/** -z pairs (tcpwatch's own): each direction's segments at two capture points, lost between them, and the one-way delay. */
export function pairsText(p: SegmentPairs): string {
  const name = (id: number): string => {
    const n = interfaceName(id);
    return n === undefined ? `interface ${id}` : `interface ${id} (${sanitizeText(n)})`;
  };
  const { directions: rows, intervalUs } = p.results();
  let s = `${RULE80}\nTCP segments at two capture points\n`;
  if (p.points.length < 2) {
    s += `Only one capture point carries TCP${p.points.length === 1 ? `: ${name(p.points[0])}` : ''}; -z pairs needs two (-i … -i …, or a pcapng of two interfaces)\n${RULE80}\n`;
    return s;
  }
  s += `Points: ${name(p.points[0])}, ${name(p.points[1])}\n`;
  if (p.notPaired > 0) s += `${p.notPaired} segments not paired: more than ${MAX_PAIRED_SEGMENTS} remembered\n`;
  const fmt = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(3));
  for (const r of rows) {
    s += `\n${sanitizeText(r.direction)}\n`;
    s += `  upstream point ${r.upstream}: ${r.atUpstream} segments there, ${r.atDownstream} at the other\n`;
    s += `  paired ${r.paired}, lost between the points ${r.lost} (sent again ${r.lostSentAgain}), seen downstream only ${r.onlyDownstream}, duplicated on the path ${r.duplicated}\n`;
    const d = r.delaysMs;
    s += `  one-way delay ms: min ${fmt(d[0] ?? NaN)} median ${fmt(quantile(d, 0.5))} p99 ${fmt(quantile(d, 0.99))} max ${fmt(d[d.length - 1] ?? NaN)}\n`;
    s += `  over time, every ${intervalUs / 1e6} s by the time at the upstream point:\n`;
    for (const iv of r.overTime) {
      const t = iv.delaysMs;
      s += `    ${(iv.startUs / 1e6).toFixed(6).padStart(12)} s  paired ${String(iv.paired).padStart(6)}  lost ${String(iv.lost).padStart(5)}  ` +
        `delay ms min ${fmt(t[0] ?? NaN)} median ${fmt(quantile(t, 0.5))} max ${fmt(t[t.length - 1] ?? NaN)}\n`;
    }
    const rx = r.retransmissions;
    const count = (c: RetransmissionCause): number => rx.reduce((n, x) => n + (x.cause === c ? 1 : 0), 0);
    s += `  retransmissions ${rx.length}: caused between the points ${count(RetransmissionCause.LostBetween)}, spurious ${count(RetransmissionCause.Spurious)}, ` +
      `of segments not seen upstream ${count(RetransmissionCause.NotSeenUpstream)}\n`;
    const down = r.upstream === p.points[0] ? 1 : 0, up = 1 - down;
    for (let k = 0; k < rx.length && k < MAX_RETRANSMISSIONS_LISTED; k++) {
      const x = rx[k];
      const at = `    frame ${x.frames[up]} at point ${up}, ${x.frames[down] > 0 ? `frame ${x.frames[down]} at point ${down}` : `not seen at point ${down}`}: `;
      const frames = (arrived: boolean): string => x.repeats.filter((o) => o.arrived === arrived).map((o) => o.frame).join(', ');
      s += at + (x.cause === RetransmissionCause.LostBetween ? `repeats ${frames(false)}, lost between the points`
        : x.cause === RetransmissionCause.Spurious ? `spurious, repeats ${frames(true)}, which arrived at point ${down}`
        : 'repeats nothing seen at the upstream point') + '\n';
    }
    if (rx.length > MAX_RETRANSMISSIONS_LISTED) s += `    (${rx.length - MAX_RETRANSMISSIONS_LISTED} more)\n`;
  }
  return s + `${RULE80}\n`;
}

/**
 * `x` with `digits` decimals as C's printf("%.Nf") writes it: the exact binary value rounded, a tie
 * to the even digit (JavaScript's toFixed rounds a tie away from zero).
 */
export function cFixed(x: number, digits: number): string {
  // C keeps the sign of a negative zero (a count over a negative time span)
  const s = Object.is(x, -0) ? '-' + x.toFixed(digits) : x.toFixed(digits);
  const extra = 25;
  if (digits + extra > 100) return s;
  const long = x.toFixed(digits + extra);
  if (!long.endsWith('5' + '0'.repeat(extra - 1))) return s;
  let cut = long.slice(0, long.length - extra);
  if (cut.endsWith('.')) cut = cut.slice(0, -1);
  const last = cut.charCodeAt(cut.length - 1) - 0x30;
  return last % 2 === 0 ? cut : s;
}

/** Wireshark's INDENT_MAX: deeper nodes are indented no further. */
const STATS_TREE_INDENT_MAX = 32;
/** Width of every column after the first (stats_tree_get_column_size). */
const STATS_TREE_COLUMN = 12;
const STATS_TREE_HEADINGS = ['Count', 'Average', 'Min Val', 'Max Val', 'Rate (ms)', 'Percent', 'Burst Rate', 'Burst Start'];

function statNodeName(n: StatNode): string {
  return sanitizeText(n.topLevel ? displayName(n.name) : n.name);
}

function widestName(n: StatNode, indent: number): number {
  const at = Math.min(indent, STATS_TREE_INDENT_MAX);
  let w = (n.parent === null ? n.name : statNodeName(n)).length + at;
  for (const c of n.children) w = Math.max(w, widestName(c, at + 1));
  return w;
}

/** Siblings as tshark sorts them by default: by count, most first, then by name, last first; SORT_TOP nodes before all. */
function statOrder(a: StatNode, b: StatNode): number {
  const top = (a.flags & SORT_TOP) - (b.flags & SORT_TOP);
  if (top !== 0) return -top;
  if (a.counter !== b.counter) return b.counter - a.counter;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

function statValues(t: StatsTree, n: StatNode): string[] {
  const avg = (v: number): string => (n.isFloat ? `${cFixed(v, 6)}` : String(v));
  const averaged = n.averaged;
  const mean = n.counter === 0 ? '-' : cFixed(Math.fround(Math.fround(n.total) / Math.fround(n.counter)), 2);
  const parent = n.parent!;
  return [
    String(n.counter),
    averaged ? mean : '',
    averaged ? (n.counter === 0 ? '-' : avg(n.min)) : '',
    averaged ? (n.counter === 0 ? '-' : avg(n.max)) : '',
    t.elapsed !== 0 ? cFixed(n.counter / t.elapsed, 4) : '',
    parent.counter !== 0 ? `${cFixed((n.counter * 100) / parent.counter, 2)}%` : parent === t.root ? '100%' : '',
    n.maxBurst !== 0 ? cFixed(n.maxBurst / BURST_WINDOW_MS, 4) : '-',
    n.maxBurst !== 0 ? cFixed(n.burstStart / 1000, 3) : '-',
  ];
}

/** A stats_tree statistic as tshark prints it: the title, a row per node, children under their parent, sorted. */
export function statsTreeText(t: StatsTree): string {
  const width = widestName(t.root, 0);
  const rule = width + STATS_TREE_HEADINGS.length * (STATS_TREE_COLUMN + 2);
  let s = `\n${'='.repeat(rule)}\n${sanitizeText(t.title)}:\n${padEnd('Topic / Item', width)}`;
  for (const h of STATS_TREE_HEADINGS) s += ' ' + padEnd(h, STATS_TREE_COLUMN + 1);
  s += `\n${'-'.repeat(rule)}\n`;
  const row = (n: StatNode, indent: number): void => {
    s += ' '.repeat(indent) + padEnd(statNodeName(n), width - indent);
    for (const v of statValues(t, n)) s += ' ' + padEnd(v, STATS_TREE_COLUMN + 1);
    s += '\n';
    const next = Math.min(indent + 1, STATS_TREE_INDENT_MAX);
    for (const c of [...n.children].sort(statOrder)) row(c, next);
  };
  for (const c of t.root.children) row(c, 0);
  return s + `\n${'-'.repeat(rule)}\n`;
}
