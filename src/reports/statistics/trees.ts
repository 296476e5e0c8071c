// tshark's stats_tree statistics (-z NAME,tree): what each counts, node for node as the dissectors
// that register them build their trees — HTTP's packet counter, requests and load distribution
// (packet-http.c), DNS's (packet-dns.c), and the IPv4 and IPv6 address trees (Wireshark's
// pinfo_stats_tree plugin). Each tree sees what the protocol's tap carries: one call per HTTP
// message, per DNS message, per IP header.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { ipv4At, ipv6At } from '../../fields/format';
import { httpMessagesOf, STATUS_TEXT } from '../../protocols/http';
import { HttpMessage, parseHttpMessage } from '../../protocols/http/message';
import { ssdp } from '../../protocols/ssdp';
import { dnsLayerOf } from '../../protocols/dns/register';
import { DnsKind, Section } from '../../protocols/dns/layer';
import { dnsMatchOf } from '../../protocols/dns/matching';
import {
  DNS_ANCOUNT, DNS_ARCOUNT, DNS_FLAGS, DNS_HEADER_LEN, DNS_NSCOUNT, DNS_QDCOUNT, F_OPCODE, F_RCODE, F_RESPONSE, OPCODE_SHIFT,
  RR_CLASS, RR_TYPE, labelCount, nameText,
} from '../../protocols/dns/wire';
import { CLASS_NAMES, OPCODE_NAMES, RCODE_NAMES, TYPE_DESCRIPTIONS } from '../../protocols/dns/types';
import { StatsTree, SORT_TOP, msSinceFirst } from './stats-tree';

/** One -z NAME,tree: its title, its nodes made before the first packet, and what one frame adds. */
export interface TreeStatistic {
  readonly tree: StatsTree;
  add(d: Dissection): void;
}

type Builder = () => TreeStatistic;

/** Each tap call moves the tree's clock to the frame's time, then counts. */
function tapCall(t: StatsTree, d: Dissection): void {
  t.at(msSinceFirst(d.tsSec, d.tsNsec, d.firstTsSec, d.firstTsNsec));
}

// ---- HTTP ----

/** An SSDP datagram read as the HTTP message it is, for the trees only (reused). */
const ssdpMessage = new HttpMessage();

/**
 * The frame's HTTP messages, in the order tshark's HTTP tap reports them; an SSDP datagram is one
 * too, as tshark's HTTP dissector reads SSDP.
 */
function eachHttpMessage(d: Dissection, use: (m: HttpMessage) => void): void {
  if (d.hasLayer(ssdp.id)) {
    const s = ssdp.layer(d);
    if (parseHttpMessage(ssdpMessage, d.buf, s.off, s.off + s.len)) use(ssdpMessage);
    return;
  }
  const l = httpMessagesOf(d);
  if (l === null) return;
  for (let i = 0; i < l.count; i++) use(l.messages[i]);
}

const isRequest = (m: HttpMessage): boolean => m.request && !m.continuation;
/** The method as tshark's HTTP tap names it: SSDP's M-SEARCH is counted as SEARCH. */
const methodOf = (m: HttpMessage): string => (m === ssdpMessage && m.method === 'M-SEARCH' ? 'SEARCH' : m.method);
const statusOf = (m: HttpMessage): number => (m.request || m.continuation ? 0 : m.code);

/** The frame's network-layer addresses as its last IP header gives them (Wireshark's pinfo->net_src/dst). */
function netAddresses(d: Dissection): [string, string] | null {
  const end = d.frameOff + d.capLen;
  let at = -1;
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i];
    if (p === Proto.Icmp || p === Proto.Icmpv6) break;
    if ((p === Proto.IPv4 || p === Proto.IPv6) && d.stackOff[i] >= 0) at = i;
  }
  if (at < 0) return null;
  const off = d.stackOff[at];
  if (d.stack[at] === Proto.IPv4) return off + 20 <= end ? [ipv4At(d.buf, off + 12), ipv4At(d.buf, off + 16)] : null;
  return off + 40 <= end ? [ipv6At(d.buf, off + 8), ipv6At(d.buf, off + 24)] : null;
}

/** http,tree: HTTP/Packet Counter. */
function httpPacketCounter(): TreeStatistic {
  const t = new StatsTree('HTTP/Packet Counter');
  const packets = t.createNode('Total HTTP Packets', 0, true);
  const requests = t.createPivot('HTTP Request Packets', packets);
  const responses = t.createNode('HTTP Response Packets', packets, true);
  const groups = ['???: broken', '1xx: Informational', '2xx: Success', '3xx: Redirection', '4xx: Client Error', '5xx: Server Error'];
  const groupIds = groups.map((g) => t.createNode(g, responses, true));
  t.createNode('Other HTTP Packets', packets, false);
  return {
    tree: t,
    add: (d) => eachHttpMessage(d, (m) => {
      tapCall(t, d);
      t.tick('Total HTTP Packets', 0, false);
      const code = statusOf(m);
      if (code !== 0) {
        t.tick('HTTP Response Packets', packets, false);
        const g = code < 100 || code >= 600 ? 0 : Math.floor(code / 100);
        t.tick(groups[g], responses, false);
        t.tick(`${code} ${STATUS_TEXT[code] ?? `Unknown (${code})`}`, groupIds[g], false);
      } else if (isRequest(m)) {
        t.tickPivot(requests, methodOf(m));
      } else {
        t.tick('Other HTTP Packets', packets, false);
      }
    }),
  };
}

/** http_req,tree: HTTP/Requests, by Host and URI. */
function httpRequests(): TreeStatistic {
  const t = new StatsTree('HTTP/Requests');
  const byHost = t.createNode('HTTP Requests by HTTP Host', 0, true);
  return {
    tree: t,
    add: (d) => eachHttpMessage(d, (m) => {
      tapCall(t, d);
      if (!isRequest(m)) return;
      t.tick('HTTP Requests by HTTP Host', 0, false);
      if (m.host === '') return;
      const host = t.tick(m.host, byHost, true);
      if (m.uri !== '') t.tick(m.uri, host, true);
    }),
  };
}

/** http_srv,tree: HTTP/Load Distribution, requests by server address and Host, responses by server. */
function httpLoadDistribution(): TreeStatistic {
  const t = new StatsTree('HTTP/Load Distribution');
  const reqs = t.createNode('HTTP Requests by Server', 0, true);
  const bySrvAddr = t.createNode('HTTP Requests by Server Address', reqs, true);
  const byHost = t.createNode('HTTP Requests by HTTP Host', reqs, true);
  const resps = t.createNode('HTTP Responses by Server Address', 0, true);
  return {
    tree: t,
    add: (d) => eachHttpMessage(d, (m) => {
      tapCall(t, d);
      const net = netAddresses(d);
      if (isRequest(m)) {
        const server = net === null ? '' : net[1];
        t.tick('HTTP Requests by Server', 0, false);
        t.tick('HTTP Requests by Server Address', reqs, true);
        t.tick('HTTP Requests by HTTP Host', reqs, true);
        const addr = t.tick(server, bySrvAddr, true);
        if (m.host !== '') {
          const host = t.tick(m.host, byHost, true);
          t.tick(server, host, false);
          t.tick(m.host, addr, false);
        }
        return;
      }
      const code = statusOf(m);
      if (code === 0) return;
      t.tick('HTTP Responses by Server Address', 0, false);
      const addr = t.tick(net === null ? '' : net[0], resps, true);
      t.tick(code >= 100 && code < 400 ? 'OK' : 'KO', addr, false);
    }),
  };
}

// ---- DNS ----

/** dns,tree: DNS, per message tshark's DNS tap reports (not mDNS or LLMNR, not inside an ICMP error). */
function dnsTree(): TreeStatistic {
  const t = new StatsTree('DNS');
  const packets = t.createNode('Total Packets', 0, true);
  const qr = t.createPivot('Query/Response', packets);
  const qtypes = t.createPivot('Query Type', packets);
  const qclasses = t.createPivot('Class', packets);
  const rcodes = t.createPivot('rcode', packets);
  const opcodes = t.createPivot('opcodes', packets);
  t.createNode('Payload size', 0, false);
  const query = t.createNode('Query Stats', 0, true);
  t.createNode('Qname Len', query, false);
  const labels = t.createNode('Label Stats', query, true);
  for (const n of ['1st Level', '2nd Level', '3rd Level', '4th Level or more']) t.createNode(n, labels, false);
  const response = t.createNode('Response Stats', 0, true);
  for (const n of ['no. of questions', 'no. of answers', 'no. of authorities', 'no. of additionals']) t.createNode(n, response, false);
  const service = t.createNode('Service Stats', 0, true);
  t.createNode('no. of unsolicited responses', service, false);
  t.createNode('no. of retransmissions', service, false);
  t.createNode('request-response time (msec)', service, false, true);
  const LEVELS = ['4th Level or more', '1st Level', '2nd Level', '3rd Level'];
  return {
    tree: t,
    add: (d) => {
      const l = dnsLayerOf(d);
      if (l === null || l.kind !== DnsKind.Dns || d.inIcmpError) return;
      const match = dnsMatchOf(d);
      for (let m = 0; m < l.msgCount; m++) {
        const off = l.msgOff[m], end = l.msgEnd[m];
        if (end - off < DNS_HEADER_LEN) continue;
        const buf = l.buf;
        const qd = buf.readUInt16BE(off + DNS_QDCOUNT), an = buf.readUInt16BE(off + DNS_ANCOUNT);
        const ns = buf.readUInt16BE(off + DNS_NSCOUNT), ar = buf.readUInt16BE(off + DNS_ARCOUNT);
        // a message tshark could not read to its end (its records cut or astray) reaches no tap
        const first = l.firstRecord[m], n = l.recordsIn[m];
        if (n !== qd + an + ns + ar) continue;
        let bad = false;
        for (let r = first; r < first + n; r++) if (l.recBadData[r] !== 0) bad = true;
        if (bad) continue;
        tapCall(t, d);
        const flags = buf.readUInt16BE(off + DNS_FLAGS);
        const isResponse = (flags & F_RESPONSE) !== 0;
        let qtype = 0, qclass = 0, qnameLen = 0, qnameLabels = 0;
        if (qd > 0 && n > 0 && l.recSection[first] === Section.Question) {
          qtype = buf.readUInt16BE(l.recNameEnd[first] + RR_TYPE);
          qclass = buf.readUInt16BE(l.recNameEnd[first] + RR_CLASS);
          const name = nameText(buf, off, end, l.recOff[first]);
          qnameLen = name.length;
          qnameLabels = labelCount(name);
        }
        const rcode = flags & F_RCODE, opcode = (flags & F_OPCODE) >> OPCODE_SHIFT;
        t.tick('Total Packets', 0, false);
        t.tickPivot(qr, isResponse ? 'Response' : 'Query');
        t.tickPivot(qtypes, TYPE_DESCRIPTIONS[qtype] ?? `Unknown packet type (${qtype})`);
        t.tickPivot(qclasses, CLASS_NAMES[qclass] ?? `Unknown class (${qclass})`);
        t.tickPivot(rcodes, RCODE_NAMES[rcode] ?? `Unknown rcode (${rcode})`);
        t.tickPivot(opcodes, OPCODE_NAMES[opcode] ?? `Unknown opcode (${opcode})`);
        // over TCP the message's tvb holds its 2-byte length too
        const size = l.lengthOff[m] >= 0 ? end - l.lengthOff[m] : end - off;
        t.average('Payload size', 0, false, size);
        if (!isResponse) {
          t.average('Qname Len', 0, false, qnameLen);
          t.tick(LEVELS[qnameLabels <= 3 ? qnameLabels : 0], 0, false);
          continue;
        }
        // tshark 4.0 counts an answered response's numbers twice (its packet function repeats them)
        answerCounts(t, qd, an, ns, ar);
        if (match === null || match.unsolicited[m] !== 0 || (match.responseTo[m] === 0 && match.retransmitResponseIn[m] === 0)) {
          t.tick('no. of unsolicited responses', 0, false);
          continue;
        }
        answerCounts(t, qd, an, ns, ar);
        if (match.retransmitResponseIn[m] !== 0) t.tick('no. of retransmissions', 0, false);
        else t.average('request-response time (msec)', 0, false, Math.fround(match.time[m] * 1000), true);
      }
    },
  };
}

function answerCounts(t: StatsTree, qd: number, an: number, ns: number, ar: number): void {
  t.average('no. of questions', 0, false, qd);
  t.average('no. of answers', 0, false, an);
  t.average('no. of authorities', 0, false, ns);
  t.average('no. of additionals', 0, false, ar);
}

// ---- IP ----

/**
 * Every IPv4 or IPv6 header of the frame outside an ICMP error's quote: one tap call each. tshark's
 * IPv6 reports a header only once its extension headers are read, so the one found malformed
 * (a bogus version, an extension header cut short) reaches no tap.
 */
function ipHeaders(d: Dissection, version: Proto): number {
  let n = 0;
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i];
    if (p === Proto.Icmp || p === Proto.Icmpv6) break;
    if (p === version && d.stackOff[i] >= 0) n++;
  }
  if (version === Proto.IPv6 && n > 0 && d.malformed === Malformed.Network && d.malformedProto === Proto.IPv6) n--;
  return n;
}

function hostsTree(version: Proto, title: string): Builder {
  return () => {
    const t = new StatsTree(title);
    const all = t.createNode('All Addresses', 0, true);
    return {
      tree: t,
      add: (d) => {
        for (let k = ipHeaders(d, version); k > 0; k--) {
          tapCall(t, d);
          const net = netAddresses(d);
          t.tick('All Addresses', 0, false);
          if (net === null) continue;
          t.tick(net[0], all, false);
          t.tick(net[1], all, false);
        }
      },
    };
  };
}

function srcDstTree(version: Proto, title: string, v: string): Builder {
  return () => {
    const t = new StatsTree(title);
    const src = `Source ${v} Addresses`, dst = `Destination ${v} Addresses`;
    const srcId = t.createNode(src, 0, true);
    t.setFlags(src, 0, SORT_TOP);
    const dstId = t.createNode(dst, 0, true);
    return {
      tree: t,
      add: (d) => {
        for (let k = ipHeaders(d, version); k > 0; k--) {
          tapCall(t, d);
          const net = netAddresses(d);
          t.tick(src, 0, false);
          if (net !== null) t.tick(net[0], srcId, false);
          t.tick(dst, 0, false);
          if (net !== null) t.tick(net[1], dstId, false);
        }
      },
    };
  };
}

/** The -z NAME,tree statistics tcpwatch knows, by NAME. */
export const TREE_STATISTICS: Readonly<Record<string, Builder>> = {
  http: httpPacketCounter,
  http_req: httpRequests,
  http_srv: httpLoadDistribution,
  dns: dnsTree,
  ip_hosts: hostsTree(Proto.IPv4, 'IPv4 Statistics/All Addresses'),
  ip_srcdst: srcDstTree(Proto.IPv4, 'IPv4 Statistics/Source and Destination Addresses', 'IPv4'),
  ipv6_hosts: hostsTree(Proto.IPv6, 'IPv6 Statistics/All Addresses'),
  ipv6_srcdst: srcDstTree(Proto.IPv6, 'IPv6 Statistics/Source and Destination Addresses', 'IPv6'),
};
