// Frame-by-frame agreement of tcpwatch's TCP analysis with tshark's on one capture: both print the
// same fields with `-T fields -E occurrence=a` (tcpwatch through its CLI), and both select the
// same frames with the same filters.

import { spawnSync } from 'node:child_process';
import { compileFilter } from '../../src/filter';
import { CLI } from './corpus';
import { forEachFrame } from './pipeline';
import { readPdml } from './pdml';

/** The analysis fields compared, with the SACK edges and the Info column. */
export const ANALYSIS_FIELDS = [
  'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.window_size',
  'tcp.analysis', 'tcp.analysis.flags',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order', 'tcp.analysis.lost_segment', 'tcp.analysis.ack_lost_segment',
  'tcp.analysis.duplicate_ack', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame',
  'tcp.analysis.zero_window', 'tcp.analysis.window_full', 'tcp.analysis.window_update',
  'tcp.analysis.keep_alive', 'tcp.analysis.keep_alive_ack', 'tcp.analysis.zero_window_probe', 'tcp.analysis.zero_window_probe_ack',
  'tcp.analysis.reused_ports',
  'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt',
  'tcp.analysis.bytes_in_flight', 'tcp.analysis.push_bytes_sent',
  'tcp.analysis.rto', 'tcp.analysis.rto_frame',
  'tcp.options.sack.count', 'tcp.options.sack_le', 'tcp.options.sack_re',
  'tcp.options.sack.dsack_le', 'tcp.options.sack.dsack_re',
];

/** Filters that must select the same frames. */
export const AGREEMENT_FILTERS = [
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order', 'tcp.analysis.duplicate_ack', 'tcp.analysis.bytes_in_flight > 30000',
  'tcp.analysis.ack_rtt > 0.01', 'tcp.analysis.zero_window', 'tcp.analysis.window_full', 'tcp.analysis.zero_window_probe',
  'tcp.analysis.flags && !tcp.analysis.window_update',
];

export interface Agreement {
  frames: number;
  /** Per field: frames where both print the same, and the first few differences. */
  fields: { name: string; agree: number; diffs: string[] }[];
  filters: { filter: string; tshark: number; tcpwatch: number; diffs: string[] }[];
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} … failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

function rows(out: string): string[][] {
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const MAX_DIFFS = 8;
/**
 * iperf3 sends random bytes, which tshark's Thrift heuristic now and then takes for a Thrift
 * message ("[TCP segment of a reassembled PDU]" on a plain data segment). tcpwatch has no Thrift,
 * and what is compared here is TCP's analysis, so tshark reads these captures without it.
 */
const TSHARK = ['-n', '--disable-protocol', 'thrift'];
const REASSEMBLED_NOTE = ' [TCP segment of a reassembled PDU]';
/** tshark's note on a segment that overlaps what HTTP's reassembly already holds. */
const REASSEMBLY_ERROR = '[Reassembly error, protocol TCP:';

/** The leading `[TCP …] ` findings of an Info text. */
function findingsOf(info: string): string {
  const m = /^(\[TCP [^\]]*\] )*/.exec(info);
  return m === null ? '' : m[0];
}

export function compareAnalysis(pcap: string, opts: { filters: boolean } = { filters: true }): Agreement {
  const fields = [...ANALYSIS_FIELDS, '_ws.col.Protocol', '_ws.col.Info'];
  const args = ['-r', pcap, '-T', 'fields', '-E', 'occurrence=a', ...fields.flatMap((f) => ['-e', f])];
  const want = rows(run('tshark', [...TSHARK, ...args]));
  const got = rows(run('node', [CLI, ...args]));
  const infoAt = fields.length - 1, protoAt = fields.length - 2;
  const result: Agreement = { frames: want.length, fields: [], filters: [] };
  for (let c = 0; c < fields.length; c++) {
    if (c === protoAt) continue;
    const f = { name: fields[c], agree: 0, diffs: [] as string[] };
    for (let r = 0; r < want.length; r++) {
      // Info is compared where no protocol above TCP writes it.
      if (c === infoAt && want[r][protoAt] !== 'TCP') { f.agree++; continue; }
      let w = want[r][c] ?? '';
      let g = got[r]?.[c] ?? '';
      // A segment of a PDU that HTTP reassembles (tshark's Protocol says TCP until the PDU is
      // whole, or when the segment overlaps what it holds): the text after TCP's findings is
      // HTTP's reassembly's, so only the findings are compared.
      if (c === infoAt && (w.endsWith(REASSEMBLED_NOTE) || w.includes(REASSEMBLY_ERROR))) {
        w = findingsOf(w);
        g = findingsOf(g);
      }
      if (w === g) f.agree++;
      else if (f.diffs.length < MAX_DIFFS) f.diffs.push(`frame ${r + 1}: tshark "${w}", tcpwatch "${g}"`);
    }
    result.fields.push(f);
  }
  if (!opts.filters) return result;
  // tcpwatch's filters run in-process over one reading of the capture (what -Y compiles and runs),
  // tshark's with -Y, one run per filter.
  const compiled = AGREEMENT_FILTERS.map((f) => compileFilter(f));
  const selected: string[][] = AGREEMENT_FILTERS.map(() => []);
  forEachFrame(pcap, (d) => {
    for (let i = 0; i < compiled.length; i++) if (compiled[i](d)) selected[i].push(String(d.number));
  });
  AGREEMENT_FILTERS.forEach((filter, i) => {
    const a = run('tshark', [...TSHARK, '-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).split('\n').filter(Boolean);
    const b = selected[i];
    const sb = new Set(b), sa = new Set(a);
    const diffs = [...a.filter((n) => !sb.has(n)).map((n) => `only tshark: ${n}`), ...b.filter((n) => !sa.has(n)).map((n) => `only tcpwatch: ${n}`)];
    result.filters.push({ filter, tshark: a.length, tcpwatch: b.length, diffs: diffs.slice(0, MAX_DIFFS) });
  });
  return result;
}

/** The agreement as a table, for the test's diagnostics. */
export function agreementTable(name: string, a: Agreement): string {
  const lines = [`${name}: ${a.frames} frames`];
  for (const f of a.fields) lines.push(`  ${f.name.padEnd(40)} ${String(f.agree).padStart(6)}/${a.frames}${f.diffs.length ? '  ' + f.diffs[0] : ''}`);
  for (const f of a.filters) lines.push(`  -Y ${f.filter.padEnd(37)} tshark ${String(f.tshark).padStart(5)}  tcpwatch ${String(f.tcpwatch).padStart(5)}${f.diffs.length ? '  ' + f.diffs[0] : ''}`);
  return lines.join('\n');
}

/** The nodes of the "SEQ/ACK analysis" subtree of each frame's first TCP instance (depth:name, from readPdml). */
function analysisSubtrees(xml: string): string[] {
  return readPdml(xml).map((frame) => {
    const tcp = frame.find((p) => p.name === 'tcp');
    if (tcp === undefined) return '';
    const at = tcp.nodes.findIndex((n) => n.endsWith(':tcp.analysis'));
    if (at < 0) return '';
    const depth = Number(tcp.nodes[at].split(':')[0]);
    const out = [tcp.nodes[at]];
    for (let i = at + 1; i < tcp.nodes.length && Number(tcp.nodes[i].split(':')[0]) > depth; i++) out.push(tcp.nodes[i]);
    return out.join(' ');
  });
}

/** Frames whose SEQ/ACK analysis subtree has tshark's nodes and nesting (-T pdml of both). */
export function compareAnalysisTree(pcap: string): { frames: number; agree: number; diffs: string[] } {
  const want = analysisSubtrees(run('tshark', [...TSHARK, '-r', pcap, '-T', 'pdml']));
  const got = analysisSubtrees(run('node', [CLI, '-r', pcap, '-T', 'pdml']));
  const r = { frames: want.length, agree: 0, diffs: [] as string[] };
  for (let f = 0; f < want.length; f++) {
    if (want[f] === (got[f] ?? '')) r.agree++;
    else if (r.diffs.length < MAX_DIFFS) r.diffs.push(`frame ${f + 1}:\n  tshark   ${want[f]}\n  tcpwatch ${got[f] ?? ''}`);
  }
  return r;
}
