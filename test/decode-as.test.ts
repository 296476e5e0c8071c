// Decode As (-d LAYER==SELECTOR,PROTOCOL): tshark 4.0 runs on the same captures with the same -d in
// each test and says what every view must show: the lab's chat on port 8989 read as HTTP, DNS over
// TCP on port 8053 (a corpus capture), TLS given or taken away by port, DNS and QUIC over UDP; the
// UI's D prompt reads the capture again with a rule; EtherTypes and IP protocol numbers handed to
// other layers; a bad -d is one line and exit status 2 where tshark refuses it too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, REPO_ROOT } from './helpers/corpus';
import { runCli, runCommand, inParallel, CliRun } from './helpers/parallel';
import { Tmux, haveTmux } from './helpers/tmux';
import '../src/packet-modules';
import { applyDecodeAs, parseDecodeAs } from '../src/decode/decode-as';
import { protocolNamed, tcpDecodeAs, udpPortProtocol } from '../src/decode/protocol-registry';
import { etherTypeNext, ETHERTYPE_IPV4 } from '../src/decode/link';
import { ipProtoNext, IPPROTO_TCP } from '../src/decode/ip';
import { Proto } from '../src/decode/dissection';
import { pcapOf } from './helpers/frames';

const LAB = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const haveTshark = spawnSync('tshark', ['-v']).status === 0;
const corpus = corpusDir();
const skip = haveTshark ? false : 'tshark is not installed';
const skipCorpus = skip || (corpus === null ? NO_CORPUS_REASON : false);
const corpusPath = (rel: string): string => path.join(corpus!, rel);

const COLUMNS = ['frame.number', '_ws.col.Protocol', '_ws.col.Info'];
const HTTP_FIELDS = ['http.request', 'http.response', 'http.request.method', 'http.request.uri', 'http.response.code', 'http.host', 'http.content_type', 'tcp.segment_data'];
const DNS_FIELDS = ['dns.id', 'dns.flags.response', 'dns.qry.name', 'dns.count.answers', 'dns.a'];

const tshark = (args: string[]): Promise<CliRun> => runCommand('tshark', ['-n', ...args]);
const fieldArgs = (fields: string[]): string[] => ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])];

/** How many lines two outputs share, line by line, and the first that differs. */
function agreement(got: string, want: string): { agree: number; total: number; first: string } {
  const g = got.split('\n'), w = want.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  let agree = 0, first = '';
  w.forEach((l, i) => {
    if (g[i] === l) agree++;
    else if (first === '') first = `tcpwatch: ${g[i]}\ntshark:   ${l}`;
  });
  return { agree, total: w.length, first };
}

interface Case { file: string; rules: string[]; fields: string[] }

/** tcpwatch and tshark on every case, two processes at a time; each output must equal tshark's line for line. */
async function agreeWithTshark(cases: Case[], extra: string[] = []): Promise<void> {
  await inParallel(cases, async (c) => {
    const args = ['-r', c.file, ...c.rules.flatMap((r) => ['-d', r]), ...extra, ...fieldArgs(c.fields)];
    return Promise.all([runCli(args), tshark(args)]);
  }, (c, [got, want]) => {
    assert.equal(got.status, 0, got.stderr);
    assert.equal(want.status, 0, want.stderr);
    const a = agreement(got.stdout, want.stdout);
    const what = `${path.basename(c.file)} -d ${c.rules.join(' -d ')}`;
    console.log(`# ${what}${extra.length ? ` ${extra.join(' ')}` : ''}: ${a.agree}/${a.total} frames agree with tshark`);
    assert.equal(a.agree, a.total, `${what}\n${a.first}`);
  });
}

test('the lab\'s chat on port 8989 read as HTTP: columns and http.* fields agree with tshark on every frame', { skip, timeout: 120_000 }, async () => {
  const fields = [...COLUMNS, ...HTTP_FIELDS];
  // tshark takes a port, a range, a count from a port, a hexadecimal port and spaces around the parts alike.
  const rules = ['tcp.port==8989,http', 'tcp.port==8000-9000,http', 'tcp.port==8989:1,http', 'tcp.port==0x231d,http', ' tcp.port == 8989, http '];
  await agreeWithTshark(rules.map((r) => ({ file: LAB, rules: [r], fields })));
  // The rule changes what the chat reads as: its first line, not ended, waits for the rest as HTTP does.
  const [plain, decoded] = await Promise.all([
    runCli(['-r', LAB, ...fieldArgs(COLUMNS), '-Y', 'frame.number == 4']),
    runCli(['-r', LAB, '-d', 'tcp.port==8989,http', ...fieldArgs(COLUMNS), '-Y', 'frame.number == 4']),
  ]);
  assert.doesNotMatch(plain.stdout, /reassembled PDU/);
  assert.match(decoded.stdout, /^4\tTCP\t.*\[TCP segment of a reassembled PDU\]$/m);
});

test('DNS over TCP on port 8053 (corpus): -T fields, -Y, -V and -T json agree with tshark once -d names the port', { skip: skipCorpus, timeout: 120_000 }, async () => {
  const file = corpusPath('valid/tcpdump/dns_tcp_8053.pcap');
  const rule = 'tcp.port==8053,dns';
  await agreeWithTshark([
    { file, rules: [rule], fields: [...COLUMNS, ...DNS_FIELDS, 'frame.protocols'] },
    { file, rules: [], fields: [...COLUMNS, ...DNS_FIELDS] },
  ]);
  const frames = (out: string): string => out.split('\n').filter(Boolean).join(',');
  for (const filter of ['dns', 'dns.flags.response == 1', 'tcp.port == 8053 && !dns']) {
    const args = ['-r', file, '-d', rule, '-Y', filter, ...fieldArgs(['frame.number'])];
    const [got, want] = await Promise.all([runCli(args), tshark(args)]);
    assert.equal(frames(got.stdout), frames(want.stdout), filter);
  }
  assert.equal(frames((await runCli(['-r', file, '-d', rule, '-Y', 'dns', ...fieldArgs(['frame.number'])])).stdout), '4,6');
  // -V: the protocols each frame's tree holds (its top-level lines), as tshark's.
  const headings = (out: string): string[] => out.split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => l.replace(/,.*$/, ''));
  const [gotV, wantV] = await Promise.all([runCli(['-r', file, '-d', rule, '-V']), tshark(['-r', file, '-d', rule, '-V'])]);
  assert.deepEqual(headings(gotV.stdout), headings(wantV.stdout));
  assert.ok(headings(gotV.stdout).includes('Domain Name System (query)'));
  // -T json: which frames carry a dns layer, and the query name in it.
  const dnsLayers = (out: string): string[] => (JSON.parse(out) as { _source: { layers: Record<string, unknown> } }[])
    .map((p) => p._source.layers).filter((l) => 'dns' in l).map((l) => JSON.stringify((l.frame as Record<string, string>)['frame.number']));
  const [gotJ, wantJ] = await Promise.all([runCli(['-r', file, '-d', rule, '-T', 'json']), tshark(['-r', file, '-d', rule, '-T', 'json'])]);
  assert.deepEqual(dnsLayers(gotJ.stdout), dnsLayers(wantJ.stdout));
  assert.equal(dnsLayers(gotJ.stdout).length, 2);
});

test('TLS given to a port or taken from it, DNS and QUIC over UDP by port: columns agree with tshark', { skip: skipCorpus, timeout: 180_000 }, async () => {
  const edns = corpusPath('valid/tcpdump-protocols/edns-opts.pcap');
  const quic = corpusPath('valid/tcpdump-protocols/quic_handshake.pcap');
  await agreeWithTshark([
    // 8443 carries the lab's HTTPS: TLS by its records without -d, still TLS when -d says so, none as data or HTTP.
    { file: LAB, rules: ['tcp.port==8443,tls'], fields: COLUMNS },
    { file: LAB, rules: ['tcp.port==8443,ssl'], fields: COLUMNS },
    { file: LAB, rules: ['tcp.port==8443,data'], fields: COLUMNS },
    { file: LAB, rules: ['tcp.port==8443,http'], fields: COLUMNS },
    { file: LAB, rules: ['tcp.port==8989,tls'], fields: COLUMNS },
    // The later rule for a port wins, as tshark's later -d.
    { file: LAB, rules: ['tcp.port==8443,data', 'tcp.port==8443,tls'], fields: COLUMNS },
    { file: edns, rules: ['udp.port==53,mdns'], fields: [...COLUMNS, ...DNS_FIELDS] },
    { file: edns, rules: ['udp.port==53,data'], fields: [...COLUMNS, 'dns.id'] },
    { file: quic, rules: ['udp.port==50606,quic'], fields: COLUMNS },
  ], []);
});

test('a bad -d is one line on stderr and exit status 2, where tshark refuses it too; what tshark accepts, tcpwatch accepts', { skip, timeout: 120_000 }, async () => {
  const bad = [
    'tcp.port', 'tcp.port==', 'tcp.port==8989', 'tcp.port==8989,', '==8989,http', 'foo.port==1,http', 'TCP.PORT==8989,http',
    'tcp.port==8989,nosuch', 'tcp.port==8989,HTTP', 'tcp.port==8989,http,x', 'udp.port==53,http', 'tcp.port==8989,quic',
    'tcp.port==abc,http', 'tcp.port==-5,http', 'tcp.port==08989,http', 'tcp.port==8989 ,http', 'tcp.port==1 2,http',
    'tcp.port==8010-8000,http', 'tcp.port==8000-,http', 'tcp.port==8000:0,http',
  ];
  await inParallel(bad, (rule) => Promise.all([runCli(['-r', LAB, '-d', rule]), tshark(['-r', LAB, '-c', '1', '-d', rule])]), (rule, [got, want]) => {
    assert.notEqual(want.status, 0, `tshark accepts ${rule}`);
    assert.equal(got.status, 2, `${rule}: ${got.stderr}`);
    assert.equal(got.stdout, '', rule);
    assert.match(got.stderr, /^tcpwatch: -d: [^\n]+\n$/, rule);
  });
  // tshark names what it would have taken; so does the line.
  const unknown = await runCli(['-r', LAB, '-d', 'tcp.port==8989,nosuch']);
  assert.match(unknown.stderr, /unknown protocol -- "nosuch"; valid protocols for layer type "tcp.port" are .*\bhttp\b.*\btls\b/);
  const wrongTable = await runCli(['-r', LAB, '-d', 'udp.port==53,http']);
  assert.match(wrongTable.stderr, /protocol "http" isn't valid for layer type "udp.port"; valid protocols .*\bdns\b.*\bquic\b/);
  // A single "=": tshark's warning, and the rule as if "==" were written.
  const single = await runCli(['-r', LAB, '-d', 'tcp.port=8989,http', '-c', '4', ...fieldArgs(['_ws.col.Info'])]);
  assert.equal(single.status, 0);
  assert.equal(single.stderr, 'tcpwatch: warning: -d requires "==" instead of "=". Option will be treated as "tcp.port==8989,http"\n');
  assert.match(single.stdout, /\[TCP segment of a reassembled PDU\]\n$/);
  // The rule's parts as tshark reads them (strtoul with base 0; a count from a port).
  assert.deepEqual(parseDecodeAs('tcp.port==8000:3,http').rule && [parseDecodeAs('tcp.port==8000:3,http').rule!.first, parseDecodeAs('tcp.port==8000:3,http').rule!.last], [8000, 8002]);
  assert.equal(parseDecodeAs('udp.port==010,dns').rule!.first, 8);
  assert.equal(parseDecodeAs('udp.port==70000,dns').error, '-d: invalid selector number "70000": a port is 0 to 65535');
});

/** An Ethernet frame from 02:..:02 to 02:..:01, optionally VLAN-tagged (ID 5), of EtherType `type` with `n` payload bytes. */
function etherFrame(type: number, n: number, vlan: boolean): Buffer {
  const head = Buffer.from(vlan ? '020000000001020000000002810000050000' : '0200000000010200000000020000', 'hex');
  head.writeUInt16BE(type, head.length - 2);
  return Buffer.concat([head, Buffer.from(Array.from({ length: n }, (_, i) => i))]);
}


test('an EtherType no dissector takes goes to data, named in Protocol and Info as tshark names it; with no payload it goes nowhere', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ethertype-'));
  try {
    const plain = path.join(dir, 'plain.pcap'), tagged = path.join(dir, 'tagged.pcap');
    // Unnamed (0x1234), named by Wireshark's etype table (0x88b5, Local Experimental Ethertype 1), no payload (0x9999).
    fs.writeFileSync(plain, pcapOf([etherFrame(0x1234, 10, false), etherFrame(0x88b5, 10, false), etherFrame(0x9999, 0, false)]));
    fs.writeFileSync(tagged, pcapOf([etherFrame(0x1234, 10, true), etherFrame(0x88b5, 4, true)]));
    const fields = fieldArgs(['frame.protocols', ...COLUMNS.slice(1), 'eth.type', 'vlan.etype', 'data.data', 'data.len']);
    for (const file of [plain, tagged]) {
      const [got, want] = await Promise.all([runCli(['-r', file, ...fields]), tshark(['-r', file, ...fields])]);
      assert.equal(got.stdout, want.stdout, path.basename(file));
    }
    // The Ethernet tree's Type line ("Unknown (0x1234)", the etype table's name) and the Data tree.
    // (The VLAN tag's own tree lacks tshark's bit lines: the tagged file's -V is not compared.)
    const [got, want] = await Promise.all([runCli(['-r', plain, '-V']), tshark(['-r', plain, '-V'])]);
    assert.equal(got.stdout, want.stdout);
    const sel = await runCli(['-r', plain, '-Y', 'data', ...fieldArgs(['frame.number'])]);
    assert.equal(sel.stdout, '1\n2\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('UI: D on the chat opens Decode As for its port; the capture read again shows the chat as tshark -d does', { skip: !haveTmux() ? 'tmux is not installed' : skip, timeout: 90_000 }, async () => {
  const want = (await tshark(['-r', LAB, '-d', 'tcp.port==8989,http', ...fieldArgs(COLUMNS)])).stdout
    .split('\n').filter(Boolean).map((l) => l.split('\t'));
  assert.match(want[3][2], /\[TCP segment of a reassembled PDU\]$/);
  const t = Tmux.start(['-r', LAB], {}, 200, 50);
  try {
    await t.waitForText(`shown ${want.length} / ${want.length}`);
    t.keys(':');
    await t.waitForText('Go to packet:');
    t.keys('4', 'Enter');
    await t.waitForText('Packet details — frame 4');
    t.keys('D');
    // The lower of the packet's two ports, the one Wireshark tries first; the list of protocols until one is named.
    let s = await t.waitForText('Decode as: tcp.port==8989,');
    assert.match(s, /no protocol name specified: ([a-z0-9-]+, )*dns, /);
    t.literal('nosuch');
    s = await t.waitForText('unknown protocol -- "nosuch"');
    for (let i = 0; i < 'nosuch'.length; i++) t.keys('BSpace');
    t.literal('http');
    t.keys('Enter');
    s = await t.waitFor((x) => /decode as: tcp\.port==8989,http/.test(x) && /Packet details — frame 4/.test(x) && /\[TCP segment of a/.test(x), 'the capture read again with the rule');
    // Row 4's Protocol and Info as tshark -d gives them (Info as far as the column shows it).
    const row = /^▶\s+4 \S+\s+\S+\s+\S+\s+(\S+)\s+\d+ (.*?)\s*$/.exec(s.split('\n').find((l) => /^▶\s+4 /.test(l)) ?? '');
    assert.ok(row !== null, s);
    assert.equal(row[1], want[3][1]);
    const info = row[2];
    assert.ok(info.endsWith('\u2026') ? want[3][2].startsWith(info.slice(0, -1)) : info === want[3][2], `Info "${info}", tshark "${want[3][2]}"`);
    assert.ok(info.length > 'TCP segment of a'.length && info.includes('[TCP segment of a'));
    // The help lists the key.
    t.keys('?');
    s = await t.waitForText('decode as:');
    assert.match(s, /\bD\s+decode as: give the selected packet's TCP or UDP port to a protocol/);
  } finally {
    t.kill();
  }
});

test('-d on the EtherType and IP protocol tables: what tcpwatch reads agrees with tshark, bad rules are refused as tshark refuses them', { skip: skipCorpus, timeout: 120_000 }, async () => {
  const dnsTcp = corpusPath('valid/tcpdump/dns_tcp.pcap');
  const qinq = corpusPath('valid/tcpdump/802.1ad_QinQ.pcap');
  const LAYERS = ['frame.protocols', '_ws.col.Protocol'];
  await agreeWithTshark([
    // TCP segments read as UDP datagrams (DNS on port 53), as ICMP; IPv4 packets read as ARP.
    { file: dnsTcp, rules: ['ip.proto==6,udp'], fields: [...LAYERS, 'udp.srcport', 'udp.length', 'dns.id', 'dns.flags.opcode'] },
    { file: dnsTcp, rules: ['ip.proto==0x6,icmp'], fields: [...LAYERS, 'icmp.type', 'icmp.code'] },
    { file: dnsTcp, rules: ['ethertype==0x0800,arp'], fields: [...LAYERS, 'arp.opcode', 'arp.src.proto_ipv4'] },
    // 802.1ad's service tag read as an 802.1Q tag: a fixed layer over a registered protocol's EtherType.
    { file: qinq, rules: ['ethertype==0x88a8,vlan'], fields: [...LAYERS, 'vlan.id', 'vlan.etype', 'ieee8021ad.id'] },
  ]);
  const bad = ['ethertype==0x0800,tcp', 'ethertype==0x0800,nosuch', 'ethertype==zz,ip', 'ip.proto==6,http', 'ip.proto==6,foo', 'ip.proto==6'];
  await inParallel(bad, (rule) => Promise.all([runCli(['-r', dnsTcp, '-d', rule]), tshark(['-r', dnsTcp, '-c', '1', '-d', rule])]), (rule, [got, want]) => {
    assert.notEqual(want.status, 0, `tshark accepts ${rule}`);
    assert.equal(got.status, 2, `${rule}: ${got.stderr}`);
    assert.equal(got.stdout, '', rule);
    assert.match(got.stderr, /^tcpwatch: -d: [^\n]+\n$/, rule);
  });
  assert.match(parseDecodeAs('ethertype==0x0800,tcp').error!, /^-d: protocol "tcp" isn't valid for layer type "ethertype"; valid protocols for layer type "ethertype" are .*\barp\b.*\bip\b.*\bipv6\b/);
  assert.match(parseDecodeAs('ip.proto==6,foo').error!, /^-d: unknown protocol -- "foo"; valid protocols for layer type "ip.proto" are .*\btcp\b.*\budp\b/);
  assert.equal(parseDecodeAs('ip.proto==256,udp').error, '-d: invalid selector number "256": an IP protocol number is 0 to 255');
});

test('-d hands an EtherType or an IP protocol to data, as tshark: data.data and data.len, frame.protocols, the link\'s or IP\'s columns, -V and JSON agree with tshark', { skip: skipCorpus, timeout: 180_000 }, async () => {
  const dnsTcp = corpusPath('valid/tcpdump/dns_tcp.pcap');
  const FIELDS = ['frame.protocols', '_ws.col.Protocol', '_ws.col.Info', '_ws.col.Source', '_ws.col.Destination', 'data', 'data.data', 'data.len', 'ip.len', 'ipv6.plen'];
  // Over Ethernet (its padding included: the data runs to the frame's end) and over Linux cooked
  // captures v1 and v2; IPv4 and IPv6 payloads (to the packet's end: the trailer is not data).
  const cases: Case[] = [
    { file: dnsTcp, rules: ['ethertype==0x0800,data'], fields: FIELDS },
    { file: dnsTcp, rules: ['ip.proto==6,data'], fields: FIELDS },
    { file: corpusPath('valid/local/any-sll.pcap'), rules: ['ethertype==0x0800,data'], fields: FIELDS },
    { file: corpusPath('valid/local/any-sll2.pcap'), rules: ['ethertype==0x0800,data'], fields: FIELDS },
    { file: corpusPath('valid/ja4/v6.pcap'), rules: ['ip.proto==6,data'], fields: FIELDS },
    { file: corpusPath('valid/ja4/v6.pcap'), rules: ['ethertype==0x86dd,data'], fields: FIELDS },
  ];
  await agreeWithTshark(cases);
  // The whole tree and JSON of the Ethernet case; the data layer of the IP case (its Ethernet padding
  // and the order of the IP address fields in JSON are other matters).
  const dataOf = (json: string): unknown[] => (JSON.parse(json) as { _source: { layers: { data?: unknown; frame: { 'frame.protocols': string } } } }[])
    .map((p) => [p._source.layers.frame['frame.protocols'], p._source.layers.data]);
  for (const rule of ['ethertype==0x0800,data', 'ip.proto==6,data']) {
    const [verbose, theirVerbose, json, theirJson] = await Promise.all([
      runCli(['-r', dnsTcp, '-d', rule, '-V']), tshark(['-r', dnsTcp, '-d', rule, '-V']),
      runCli(['-r', dnsTcp, '-d', rule, '-T', 'json']), tshark(['-r', dnsTcp, '-d', rule, '-T', 'json']),
    ]);
    const dataTree = (s: string): string[] => s.split(/^(?=Frame \d+:)/m).map((frame) => frame.slice(frame.indexOf('\nData (') + 1));
    if (rule.startsWith('ethertype')) assert.equal(verbose.stdout, theirVerbose.stdout, `-d ${rule} -V`);
    else assert.deepEqual(dataTree(verbose.stdout), dataTree(theirVerbose.stdout), `-d ${rule} -V`);
    // The first frame's 60 bytes of IPv4 packet, or its 40 of TCP segment, with the bytes they come from.
    const n = rule.startsWith('ethertype') ? 60 : 40;
    assert.match(verbose.stdout, new RegExp(`^Data \\(${n} bytes\\)\n\n0000  ${rule.startsWith('ethertype') ? '45 00 00 3c' : '83 f3 00 35'} [^]*?\n {4}\\[Length: ${n}\\]$`, 'm'));
    if (rule.startsWith('ethertype')) assert.equal(json.stdout, theirJson.stdout, `-d ${rule} -T json`);
    assert.deepEqual(dataOf(json.stdout), dataOf(theirJson.stdout), `-d ${rule} -T json`);
  }
});

test('-d ethertype and ip.proto rules are per run, over the fixed and registered entries', () => {
  try {
    assert.deepEqual(applyDecodeAs(['ethertype==0x88b5,ip', 'ip.proto==253:2,udp']), { warnings: [] });
    assert.equal(etherTypeNext(0x88b5), Proto.IPv4);
    assert.equal(ipProtoNext(254), Proto.Udp);
    assert.equal(etherTypeNext(ETHERTYPE_IPV4), Proto.IPv4);
    assert.deepEqual(applyDecodeAs(['ethertype==0x88b5,data', 'ip.proto==253,data']), { warnings: [] });
    assert.equal(etherTypeNext(0x88b5), Proto.Data);
    assert.equal(ipProtoNext(253), Proto.Data);
    applyDecodeAs(['ethertype==0x0800,ipv6']);
    assert.equal(etherTypeNext(ETHERTYPE_IPV4), Proto.IPv6);
    assert.equal(etherTypeNext(0x88b5), Proto.None);
    assert.equal(ipProtoNext(254), Proto.None);
    applyDecodeAs([]);
    assert.equal(etherTypeNext(ETHERTYPE_IPV4), Proto.IPv4);
    assert.equal(ipProtoNext(IPPROTO_TCP), Proto.Tcp);
    assert.equal(etherTypeNext(0x88a8), protocolNamed('ieee8021ad')!.id);
  } finally {
    applyDecodeAs([]);
  }
});

test('Decode As is per run, before the registered ports, and the lower port is tried first', () => {
  const http = protocolNamed('http')!.id, quic = protocolNamed('quic')!.id, dns = protocolNamed('dns')!.id;
  try {
    assert.deepEqual(applyDecodeAs(['udp.port==4433,quic', 'tcp.port==50000,http']), { warnings: [] });
    assert.equal(udpPortProtocol(51000, 4433), quic);
    assert.equal(tcpDecodeAs(40000, 50000), http);
    // Port 53 is DNS's: a rule on the higher port of the pair does not take the conversation from it.
    assert.equal(tcpDecodeAs(53, 50000), 0);
    assert.equal(udpPortProtocol(53, 4433), dns);
    // A mistake changes nothing.
    assert.match(applyDecodeAs(['udp.port==4433,nosuch']).error!, /unknown protocol/);
    assert.equal(udpPortProtocol(51000, 4433), quic);
    // No rules: as registered.
    applyDecodeAs([]);
    assert.equal(udpPortProtocol(51000, 4433), 0);
    assert.equal(tcpDecodeAs(40000, 50000), 0);
  } finally {
    applyDecodeAs([]);
  }
});
