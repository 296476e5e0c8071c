// ARP, ICMP and ICMPv6 against tshark 4.0, run in the test: the Protocol and Info columns and the
// fields tcpwatch registers, frame by frame, on the corpus captures that carry them and on traffic
// recorded here on loopback (ping, ping -6, a UDP datagram to a closed port); display filters
// select the same frames; hostile messages (short ARP, errors quoting truncated or nested errors,
// ND options of length 0 or past the end) neither throw nor hang.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump } from './helpers/tcpdump';
import { filterDisagreements } from './helpers/filter-agreement';
import { pcapOf } from './helpers/frames';

const corpus = corpusDir();
const FILES = [
  'valid/tcpdump-protocols/arp-too-long-tha.pcap', 'valid/tcpdump-protocols/dhcp-rfc4388.pcap',
  'valid/tcpdump-protocols/icmp-rfc5837.pcap', 'valid/tcpdump-protocols/icmp-rfc8335.pcap',
  'valid/tcpdump-protocols/icmpv6.pcap', 'valid/tcpdump-protocols/icmpv6-ni-flags.pcap',
  'valid/tcpdump-protocols/icmpv6-ns-nonce.pcap', 'valid/tcpdump-protocols/icmpv6-ra-pref64.pcap',
  'valid/tcpdump-protocols/icmpv6_nodeinfo_replyipv6.pcap', 'valid/ja4/gre-sample.pcap', 'valid/ja4/latest.pcapng',
  'valid/ja4/v6.pcap', 'valid/tcpdump/icmpv6_nodeinfo_queryipv6.pcap', 'valid/tcpdump/ipv6-routing-header.pcap', 'valid/tcpdump/mptcp-fclose.pcap',
  // link types: the Configuration Test Protocol on Ethernet, vsock (271), BSD loopback (NULL)
  'valid/tcpdump/loopback.pcap', 'valid/tcpdump/vsock-1.pcapng', 'valid/ja4/ipv6.pcapng', 'valid/tcpdump/tcp_rst_diag_payload.pcap',
];
/** Fields compared with tshark's, every occurrence of every frame. */
const FIELDS = [
  '_ws.col.Protocol', '_ws.col.Info',
  'arp.hw.type', 'arp.proto.type', 'arp.hw.size', 'arp.proto.size', 'arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4',
  'arp.dst.hw_mac', 'arp.dst.proto_ipv4', 'arp.isgratuitous', 'arp.src.hw', 'arp.dst.hw',
  'icmp.type', 'icmp.code', 'icmp.checksum', 'icmp.checksum.status', 'icmp.ident', 'icmp.ident_le', 'icmp.seq', 'icmp.seq_le',
  'icmp.resp_to', 'icmp.resptime', 'icmp.mtu', 'icmp.unused', 'icmp.data_time', 'icmp.data_time_relative', 'icmp.ext.echo.seq',
  'icmp.ext.version', 'icmp.ext.checksum', 'icmp.ext.checksum.status', 'icmp.ext.length', 'icmp.ext.class', 'icmp.ext.ctype', 'icmp.ext.data',
  'icmp.int_info.index', 'icmp.int_info.ipv4', 'icmp.int_info.name_length', 'icmp.int_ident.name', 'icmp.int_ident.index', 'icmp.int_ident.ipv4',
  'icmpv6.mld.multicast_address', 'icmpv6.mldr.nb_mcast_records', 'icmpv6.mldr.mar.record_type', 'icmpv6.mldr.mar.multicast_address', 'icmpv6.opt.dnssl',
  'icmpv6.type', 'icmpv6.code', 'icmpv6.checksum', 'icmpv6.checksum.status', 'icmpv6.reserved', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number',
  'icmpv6.resp_to', 'icmpv6.resptime', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'icmpv6.nd.na.flag',
  'icmpv6.nd.ra.cur_hop_limit', 'icmpv6.nd.ra.flag', 'icmpv6.nd.ra.router_lifetime', 'icmpv6.opt.type', 'icmpv6.opt.length',
  'icmpv6.opt.linkaddr', 'icmpv6.opt.src_linkaddr', 'icmpv6.opt.target_linkaddr', 'icmpv6.opt.prefix', 'icmpv6.opt.prefix.length',
  'icmpv6.opt.prefix.valid_lifetime', 'icmpv6.opt.mtu', 'icmpv6.opt.nonce', 'icmpv6.opt.rdnss', 'icmpv6.opt.pref64.prefix',
  'icmpv6.ni.qtype', 'icmpv6.ni.flag', 'icmpv6.ni.nonce', 'icmpv6.ni.query.subject_ipv6', 'icmpv6.ni.query.subject_fqdn', 'icmpv6.ni.query.subject_ipv4',
  'icmpv6.ni.reply.node_ttl', 'icmpv6.ni.reply.node_name', 'icmpv6.ni.reply.node_address', 'icmpv6.ni.reply.ipv4_address',
  'null.family', 'loop.skipcount', 'loop.relevant_function', 'loop.function', 'loop.forwarding_address', 'loop.receipt_number',
  'vsock.src_cid', 'vsock.dst_cid', 'vsock.src_port', 'vsock.dst_port', 'vsock.op', 'vsock.trans', 'vsock.trans_len',
  'vsock.virtio.type', 'vsock.virtio.op', 'vsock.virtio.len', 'vsock.virtio.buf_alloc', 'vsock.virtio.fwd_cnt', 'vsock.payload',
];
const FILTERS = ['arp.opcode == 1', 'icmp.type == 3', 'icmpv6.type == 135', 'arp', 'icmp', 'icmpv6', 'icmp.resp_to', 'icmpv6.opt.type == 1', 'loop', 'vsock.op == 4', 'null.family == 30'];

function fieldsArgs(): string[] {
  return ['-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...FIELDS.flatMap((f) => ['-e', f])];
}
function tshark(file: string, args: string[]): string {
  return execFileSync('tshark', ['-n', '-r', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
}
function ours(file: string, args: string[]): string {
  return execFileSync(process.execPath, [CLI, '-r', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
}

/** Every frame's fields, tshark's and ours side by side; returns the differences (at most 20). */
function compare(file: string): string[] {
  const want = tshark(file, fieldsArgs()).split('\n'), got = ours(file, fieldsArgs()).split('\n');
  const diffs: string[] = [];
  assert.equal(got.length, want.length, `${file}: frames`);
  for (let i = 0; i < want.length && diffs.length < 20; i++) {
    const a = want[i].split('\t'), b = got[i].split('\t');
    // Other protocols' columns (DHCP, DNS, SSH …) are theirs to match, not these.
    const mine = ['ARP', 'ICMP', 'ICMPv6', 'LOOP', 'vSocket'].includes(a[0]);
    for (let j = mine ? 0 : 2; j < FIELDS.length; j++) {
      if ((a[j] ?? '') !== (b[j] ?? '')) diffs.push(`${path.basename(file)} frame ${i + 1} ${FIELDS[j]}: tshark "${a[j]}" tcpwatch "${b[j]}"`);
    }
  }
  return diffs;
}

const skipCorpus = corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false;

test('ARP, ICMP and ICMPv6 columns and fields agree with tshark on the corpus', { skip: skipCorpus, timeout: 300_000 }, () => {
  const diffs: string[] = [];
  for (const f of FILES) diffs.push(...compare(path.join(corpus!, f)));
  assert.deepEqual(diffs, []);
});

test('display filters on ARP, ICMP and ICMPv6 fields select the frames tshark selects', { skip: skipCorpus, timeout: 300_000 }, async () => {
  assert.deepEqual(await filterDisagreements(FILES.map((f) => path.join(corpus!, f)), FILTERS), []);
});

test('ping, ping -6 and a datagram to a closed port, recorded on loopback, read as tshark reads them', {
  skip: !isRoot ? 'needs root to capture' : !have('tcpdump') || !have('tshark') || !have('ping') ? 'needs tcpdump, tshark and ping' : false,
  timeout: 60_000,
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-icmp-'));
  try {
    const pcap = path.join(dir, 'icmp.pcap');
    const td = await startTcpdump(pcap, 'icmp or icmp6');
    spawnSync('ping', ['-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1'], { timeout: 10_000 });
    spawnSync('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '1', '::1'], { timeout: 10_000 });
    // A port nobody listens on: the kernel answers with an ICMP port unreachable quoting the datagram.
    const probe = dgram.createSocket('udp4');
    const closed = await new Promise<number>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    await new Promise<void>((resolve) => probe.send(Buffer.from('anyone there?'), closed, '127.0.0.1', () => resolve()));
    await new Promise((r) => setTimeout(r, 200));
    probe.close();
    await td.stop(200);
    const want = tshark(pcap, fieldsArgs());
    const lines = want.trim().split('\n');
    assert.ok(lines.length >= 13, `recorded ${lines.length} frames`);
    assert.ok(lines.some((l) => l.includes('Destination unreachable (Port unreachable)')), 'a port unreachable was recorded');
    assert.ok(lines.some((l) => l.includes('(request in')), 'a reply named its request');
    assert.deepEqual(compare(pcap), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Two network namespaces joined by a veth pair, made and removed by the test: pinging across it makes
// the kernel resolve the peer first, with ARP for IPv4 and Neighbor Solicitation for IPv6.
test('ARP and Neighbor Discovery across a veth pair between two namespaces read as tshark reads them', {
  skip: !isRoot ? 'needs root for network namespaces' : !have('ip') || !have('tcpdump') || !have('tshark') || !have('ping') ? 'needs ip, tcpdump, tshark and ping' : false,
  timeout: 60_000,
}, async () => {
  const tag = `tw${process.pid % 100000}`;
  const a = `${tag}a`, b = `${tag}b`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-nd-'));
  const ip = (...args: string[]): void => {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', `${a}0`, 'netns', a, 'type', 'veth', 'peer', 'name', `${b}0`, 'netns', b);
    ip('-n', a, 'addr', 'add', '10.77.0.1/24', 'dev', `${a}0`);
    ip('-n', b, 'addr', 'add', '10.77.0.2/24', 'dev', `${b}0`);
    ip('-n', a, 'addr', 'add', 'fd77::1/64', 'dev', `${a}0`, 'nodad');
    ip('-n', b, 'addr', 'add', 'fd77::2/64', 'dev', `${b}0`, 'nodad');
    ip('-n', a, 'link', 'set', `${a}0`, 'up');
    ip('-n', b, 'link', 'set', `${b}0`, 'up');
    const pcap = path.join(dir, 'nd.pcap');
    const td = spawn('ip', ['netns', 'exec', a, 'tcpdump', '-i', `${a}0`, '-n', '-U', '--immediate-mode', '-w', pcap, 'arp or icmp or icmp6'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    td.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<void>((resolve) => td.once('close', () => resolve()));
    for (let waited = 0; !stderr.includes('listening on') && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.match(stderr, /listening on/);
    spawnSync('ip', ['netns', 'exec', a, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '10.77.0.2'], { timeout: 10_000 });
    spawnSync('ip', ['netns', 'exec', a, 'ping', '-6', '-c', '2', '-i', '0.2', '-W', '1', 'fd77::2'], { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    td.kill('SIGINT');
    await closed;
    const infos = tshark(pcap, ['-T', 'fields', '-e', '_ws.col.Info']);
    assert.match(infos, /Who has 10\.77\.0\.2\? Tell 10\.77\.0\.1/);
    assert.match(infos, /10\.77\.0\.2 is at /);
    assert.match(infos, /Neighbor Solicitation for fd77::2 from /);
    assert.match(infos, /Neighbor Advertisement fd77::2 \(/);
    assert.deepEqual(compare(pcap), []);
  } finally {
    spawnSync('ip', ['netns', 'del', a], { timeout: 10_000 });
    spawnSync('ip', ['netns', 'del', b], { timeout: 10_000 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- hostile input ----
const eth = (type: number): Buffer => Buffer.from(`020000000001020000000002${type.toString(16).padStart(4, '0')}`, 'hex');
function ipv4(proto: number, payload: Buffer, totalLen = 20 + payload.length): Buffer {
  payload = Buffer.from(payload);
  const h = Buffer.from('450000000000400040000000c0a80001c0a80002', 'hex');
  h.writeUInt16BE(totalLen, 2);
  h[9] = proto;
  return Buffer.concat([h, payload]);
}
function ipv6(next: number, payload: Buffer): Buffer {
  payload = Buffer.from(payload);
  const h = Buffer.from('6000000000003aff' + 'fe800000000000000000000000000001' + 'ff020000000000000000000000000001', 'hex');
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  return Buffer.concat([h, payload]);
}
const icmpError = (quote: Buffer): Buffer => Buffer.concat([
  Buffer.from('03030000' + '00000000', 'hex'), quote]);

/** A Node Information message's fixed part (RFC 4620 §4): type, code, checksum, Qtype, flags, nonce. */
const ni = (type: number, code: number, qtype: number): string =>
  type.toString(16) + code.toString(16).padStart(2, '0') + '0000' + qtype.toString(16).padStart(4, '0') + '0000' + '0123456789abcdef';

test('short ARP, errors quoting truncated or nested errors, bad ND options and Node Information names neither throw nor hang', () => {
  const ns = (options: string): Buffer => ipv6(58, Buffer.from('87000000' + '00000000' + 'fe800000000000000000000000000001' + options, 'hex'));
  const frames = [
    Buffer.concat([eth(0x0806), Buffer.from('00010800060401', 'hex')]), // ARP cut inside its fixed part
    Buffer.concat([eth(0x0806), Buffer.from('0001080006040001020000000002c0a8', 'hex')]), // addresses cut short
    Buffer.concat([eth(0x0806), Buffer.from('00010800ffff0001', 'hex'), Buffer.alloc(20)]), // sizes naming more than there is
    Buffer.concat([eth(0x0800), ipv4(1, Buffer.from('0303', 'hex'))]), // ICMP shorter than its header
    Buffer.concat([eth(0x0800), ipv4(1, icmpError(Buffer.from('4500', 'hex')))]), // quote of 2 bytes
    Buffer.concat([eth(0x0800), ipv4(1, icmpError(ipv4(17, Buffer.from('0035', 'hex'), 400)))]), // quoted UDP cut short
    Buffer.concat([eth(0x0800), ipv4(1, icmpError(ipv4(1, icmpError(ipv4(1, icmpError(ipv4(6, Buffer.alloc(4))))))))]), // errors in errors
    Buffer.concat([eth(0x0800), ipv4(1, Buffer.from('0800000012340001', 'hex'))]), // echo without data
    Buffer.concat([eth(0x86dd), ns('0100020000000001')]), // option of length 0 after a whole one
    Buffer.concat([eth(0x86dd), ns('0000')]), // option of length 0 first
    Buffer.concat([eth(0x86dd), ns('01ff020000000001')]), // option running past the end
    Buffer.concat([eth(0x86dd), ns('01')]), // half an option header
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.from('8600', 'hex'))]), // RA cut after the type
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.concat([Buffer.from('0100000000000000', 'hex'), ipv6(58, Buffer.from('0100000000000000', 'hex'))]))]),
    // Node Information: a name reply of 700 names that each point at themselves, a subject name running
    // past the end, address replies ending inside an entry
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.from(ni(140, 0, 2) + '00000000' + 'c000'.repeat(700), 'hex'))]),
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.from(ni(139, 1, 2) + '09726573706f6e', 'hex'))]),
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.from(ni(140, 0, 4) + '0000003c0a4d00', 'hex'))]),
    Buffer.concat([eth(0x86dd), ipv6(58, Buffer.from(ni(140, 0, 3) + '00000e10fd77000000000000', 'hex'))]),
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-icmp-bad-'));
  try {
    const file = path.join(dir, 'bad.pcap');
    fs.writeFileSync(file, pcapOf(frames));
    for (const args of [[], ['-V'], ['-T', 'json'], ['-T', 'pdml'], fieldsArgs(), ['-Y', 'icmpv6.opt.type == 1 || arp.opcode == 1']]) {
      const r = spawnSync(process.execPath, [CLI, '-r', file, ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.error, undefined, `${args.join(' ')}: ${r.error}`);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const info = ours(file, ['-T', 'fields', '-e', '_ws.col.Info']).split('\n');
    assert.match(info[0], /Malformed/, 'the cut ARP is marked malformed');
    assert.match(info[9], /Malformed/, 'an ND option of length 0 marks the frame malformed');
    assert.doesNotMatch(info[14], /Malformed/, 'names that loop are read as such, as tshark reads them');
    assert.match(info[15], /Malformed/, 'a subject name running past the end marks the frame malformed, as in tshark');
    assert.match(info[16], /Malformed/, 'an address entry cut short marks the frame malformed, as in tshark');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
