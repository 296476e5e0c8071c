// -z: tshark's statistics, parsed from the command line into collectors that see every frame read
// (the display filter -Y does not narrow them, as in tshark), and printed when the capture ends,
// after the packets, the last -z first as tshark orders them.

import { Dissection } from '../decode/dissection';
import { DisplayFilter, Analyzer } from '../pipeline';
import { hooks } from '../hooks';
import { UsageError } from '../errors';
import { ConversationTable, EndpointTable, AddressKind, ADDRESS_KINDS } from '../reports/statistics/conversations';
import { ProtocolHierarchy } from '../reports/statistics/hierarchy';
import { StreamFollower, FollowProto } from '../reports/statistics/follow';
import { IoStatistics, IoColumn } from '../reports/statistics/io-stat';
import { ExpertInfo } from '../reports/statistics/expert';
import { SegmentPairs } from '../reports/statistics/pairs';
import { TREE_STATISTICS } from '../reports/statistics/trees';
import { expertText, conversationsText, endpointsText, hierarchyText, followText, ioStatText, pairsText, statsTreeText, FollowMode } from '../output/statistics-text';

interface Statistic {
  /** Frames this statistic counts (its own filter, when -z gave one). */
  filter: DisplayFilter | null;
  add(d: Dissection): void;
  text(): string;
}

const STATS_HELP = 'conv,TYPE  endpoints,TYPE (TYPE: eth, ip, ipv6, tcp, udp)  io,phs  io,stat,INTERVAL[,FILTER…]  expert  follow,tcp|udp|tls|http,ascii|hex|raw,STREAM  follow,http2,ascii|hex|raw,STREAM,SUBSTREAM  pairs[,FILTER]  ' +
  `NAME,tree[,FILTER] (NAME: ${Object.keys(TREE_STATISTICS).join(', ')})`;

function compile(filter: string | undefined): DisplayFilter | null {
  if (filter === undefined || filter === '') return null;
  if (!hooks.compileFilter) throw new UsageError('display filters are not available in this build');
  return hooks.compileFilter(filter);
}

function parseStatistic(spec: string): Statistic {
  const parts = spec.split(',');
  const head = parts[0];
  if ((head === 'conv' || head === 'endpoints') && parts.length >= 2) {
    const kind = parts[1] as AddressKind;
    if (!ADDRESS_KINDS.includes(kind)) {
      throw new UsageError(`invalid -z ${head} type "${parts[1]}": use ${ADDRESS_KINDS.join(', ')}`);
    }
    const filterText = parts.length > 2 ? parts.slice(2).join(',') : undefined;
    const filter = compile(filterText);
    if (head === 'conv') {
      const t = new ConversationTable(kind);
      return { filter, add: (d) => t.add(d), text: () => conversationsText(t, filterText) };
    }
    const t = new EndpointTable(kind);
    return { filter, add: (d) => t.add(d), text: () => endpointsText(t, filterText) };
  }
  if (head === 'io' && parts[1] === 'phs') {
    const filterText = parts.length > 2 ? parts.slice(2).join(',') : undefined;
    const h = new ProtocolHierarchy();
    return { filter: compile(filterText), add: (d) => h.add(d), text: () => hierarchyText(h, filterText) };
  }
  if (head === 'io' && parts[1] === 'stat') return ioStatistic(parts.slice(2));
  const tree = Object.prototype.hasOwnProperty.call(TREE_STATISTICS, head) ? TREE_STATISTICS[head] : undefined;
  if (tree !== undefined && parts[1] === 'tree') {
    const filterText = parts.length > 2 ? parts.slice(2).join(',') : undefined;
    const s = tree();
    return { filter: compile(filterText), add: (d) => s.add(d), text: () => statsTreeText(s.tree) };
  }
  if (head === 'expert' && parts.length <= 2) {
    const filterText = parts.length > 1 ? parts[1] : undefined;
    const e = new ExpertInfo();
    return { filter: compile(filterText), add: (d) => e.add(d), text: () => expertText(e) };
  }
  if (head === 'pairs') {
    // tcpwatch's own: segments paired across two capture points (docs/REMOTE.md).
    const filterText = parts.length > 1 ? parts.slice(1).join(',') : undefined;
    const p = new SegmentPairs();
    return { filter: compile(filterText), add: (d) => p.add(d), text: () => pairsText(p) };
  }
  if (head === 'follow') {
    const proto = parts[1];
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'tls' && proto !== 'http' && proto !== 'http2') {
      throw new UsageError(`invalid -z follow protocol "${proto ?? ''}": use tcp, udp, tls, http or http2`);
    }
    const mode = parts[2];
    if (mode !== 'ascii' && mode !== 'hex' && mode !== 'raw') throw new UsageError(`invalid -z follow mode "${mode ?? ''}": use ascii, hex or raw`);
    const stream = parts[3];
    // HTTP/2 names the HTTP/2 stream within the TCP stream too, as tshark's follow,http2 needs it
    const sub = parts[4];
    if (proto === 'http2') {
      if (stream === undefined || !/^\d+$/.test(stream) || sub === undefined || !/^\d+$/.test(sub) || Number(sub) > 0x7fffffff || parts.length > 5) {
        throw new UsageError(`invalid -z follow stream "${parts.slice(3).join(',')}": expected a TCP stream and an HTTP/2 stream number, as follow,http2,${mode},0,1`);
      }
    } else if (stream === undefined || !/^\d+$/.test(stream) || parts.length > 4) {
      throw new UsageError(`invalid -z follow stream "${parts.slice(3).join(',')}": expected a stream number, as follow,${proto},${mode},0`);
    }
    const f = new StreamFollower(proto as FollowProto, Number(stream), undefined, proto === 'http2' ? Number(sub) : 0);
    return { filter: null, add: (d) => f.add(d), text: () => followText(f, mode as FollowMode) };
  }
  throw new UsageError(`invalid -z argument "${spec}": tcpwatch knows ${STATS_HELP}`);
}

/** io,stat,INTERVAL[,FILTER…]: one column of frames and bytes per filter (an empty one counts every frame). */
function ioStatistic(args: string[]): Statistic {
  const interval = args[0] ?? '';
  const m = /^(\d*)(?:\.(\d*))?$/.exec(interval);
  if (interval === '' || m === null || (m[1] === '' && (m[2] ?? '') === '')) {
    throw new UsageError(`invalid -z io,stat interval "${interval}": expected seconds, as io,stat,1 or io,stat,0.1 (0 for the whole capture)`);
  }
  const decimals = (m[2] ?? '').replace(/0+$/, '');
  if (decimals.length > 6) throw new UsageError(`invalid -z io,stat interval "${interval}": at most 6 decimals (microseconds)`);
  const us = Number(m[1] || '0') * 1e6 + Number((decimals + '000000').slice(0, 6));
  const texts = args.length > 1 ? args.slice(1) : [''];
  const filters = texts.map((t) => compile(t));
  for (const t of texts) {
    if (/^\s*(SUM|MIN|MAX|AVG|COUNT|LOAD|FRAMES|BYTES)\s*\(/i.test(t)) throw new UsageError(`-z io,stat: calculations such as "${t}" are not supported; give display filters`);
  }
  const io = new IoStatistics(us, decimals.length, texts.map((t) => new IoColumn(t === '' ? undefined : t)));
  return {
    filter: null,
    add: (d) => io.count(d, filters),
    text: () => ioStatText(io),
  };
}

/** The statistics of one run: an analysis stage that feeds them, and their text at the end. */
export class Statistics implements Analyzer {
  private readonly list: Statistic[];

  constructor(specs: string[]) {
    this.list = specs.map(parseStatistic);
  }

  analyze(d: Dissection): void {
    for (let i = 0; i < this.list.length; i++) {
      const s = this.list[i];
      if (s.filter === null || s.filter(d)) s.add(d);
    }
  }

  /** Every statistic's text, the last given first (tshark's order). */
  text(): string {
    let s = '';
    for (let i = this.list.length - 1; i >= 0; i--) s += this.list[i].text();
    return s;
  }
}
