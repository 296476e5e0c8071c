// UDP protocols as tshark 4.0 shows them (src/protocols/<name>/): NTP, DHCP/BOOTP, SSDP, TFTP (its
// transfer ports followed from the request) and NBNS, on the corpus captures frame by frame, with
// their display filters, and hostile bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { filterDisagreements } from './helpers/filter-agreement';
import { have } from './helpers/system';
import { buildFrame } from './helpers/frames';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';

const corpus = corpusDir();
const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const tcpwatch = (args: string[]): string => run(process.execPath, [CLI, ...args]);

const NTP_CAPTURES = [
  'valid/tcpdump-protocols/ntp.pcap', 'valid/tcpdump-protocols/ntp-control.pcap', 'valid/tcpdump-protocols/ntp-time.pcap',
  'valid/ja4/gre-sample.pcap',
];
const NTP_FIELDS = [
  'frame.number', '_ws.col.Protocol', '_ws.col.Info', 'ntp.flags', 'ntp.flags.li', 'ntp.flags.vn', 'ntp.flags.mode', 'ntp.stratum', 'ntp.ppoll',
  'ntp.precision', 'ntp.rootdelay', 'ntp.rootdispersion', 'ntp.refid', 'ntp.reftime', 'ntp.org', 'ntp.rec', 'ntp.xmt', 'ntp.keyid', 'ntp.mac',
];
const skip = corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false;

test('NTP in the corpus: Protocol, Info and the flags agree with tshark frame by frame', { skip }, () => {
  let compared = 0;
  for (const rel of NTP_CAPTURES) {
    const file = path.join(corpus!, rel);
    const args = ['-r', file, '-Y', 'udp.port == 123', '-T', 'fields', ...NTP_FIELDS.flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]);
    const got = tcpwatch(args);
    assert.equal(got, want, rel);
    compared += want.split('\n').filter(Boolean).length;
  }
  assert.ok(compared >= 37, `compared ${compared} NTP frames`);
});

test('the display filters ntp and ntp.flags.mode == 4 select the frames tshark selects', { skip }, async () => {
  assert.deepEqual(await filterDisagreements(NTP_CAPTURES.map((rel) => path.join(corpus!, rel)), ['ntp', 'ntp.flags.mode == 4', 'ntp.flags.vn == 2', 'ntp.stratum == 2', 'ntp.keyid']), []);
});

test('a one-byte and an empty datagram to port 123 never crash', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ntp-'));
  try {
    const file = path.join(dir, 'ntp.pcap');
    const w = openCaptureWriter(file, 1);
    const f = new CapturedFrame();
    const frames = [
      buildFrame({ udp: true, sport: 123, dport: 123, payload: Buffer.from([0xe3]) }),
      buildFrame({ udp: true, sport: 40000, dport: 123, payload: Buffer.alloc(0) }),
    ];
    frames.forEach((b, i) => w.write(f.wrap(b, 1, 1_700_000_000 + i)));
    w.close();
    const out = tcpwatch(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info']).split('\n');
    assert.equal(out[0], 'NTP\tNTP Version 4, client');
    assert.equal(out[1].split('\t')[0], 'UDP');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const DHCP_CAPTURES = [
  'valid/ja4/dhcp.pcapng', 'valid/tcpdump-protocols/dhcp-option-33.pcap', 'valid/tcpdump-protocols/dhcp-rfc3004.pcap',
  'valid/tcpdump-protocols/dhcp-rfc4388.pcap',
];
const DHCP_FIELDS = [
  'frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'dhcp.type', 'dhcp.hw.type', 'dhcp.hw.len', 'dhcp.hops',
  'dhcp.id', 'dhcp.secs', 'dhcp.flags', 'dhcp.ip.client', 'dhcp.ip.your', 'dhcp.ip.server', 'dhcp.ip.relay', 'dhcp.hw.mac_addr',
  'dhcp.cookie', 'dhcp.option.type', 'dhcp.option.length', 'dhcp.option.end', 'dhcp.option.dhcp', 'dhcp.flags.bc', 'dhcp.bootp',
  'dhcp.hw.addr_padding', 'dhcp.server', 'dhcp.option.value', 'dhcp.option.subnet_mask', 'dhcp.option.router', 'dhcp.option.domain_name',
  'dhcp.option.request_list_item', 'dhcp.option.ip_address_lease_time', 'dhcp.option.static_route.ip', 'dhcp.option.user_class.data',
  'dhcp.option.associated_ip_option', 'dhcp.option.padding',
];
// dhcp-rfc4388.pcap's frames 43 and 44, BOOTP requests 2 bytes short of the 64-byte RFC 951 vendor
// area, read "Boot Request from …(…)[Malformed Packet]": the mark follows the text without a space.
test('DHCP and BOOTP in the corpus: Protocol, Info and the header and option fields agree with tshark frame by frame', { skip }, () => {
  let compared = 0;
  for (const rel of DHCP_CAPTURES) {
    const file = path.join(corpus!, rel);
    const args = ['-r', file, '-Y', 'udp.port == 67 || udp.port == 68', '-T', 'fields', ...DHCP_FIELDS.flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]).split('\n').filter(Boolean);
    const got = tcpwatch(args).split('\n').filter(Boolean);
    assert.equal(got.length, want.length, rel);
    for (let k = 0; k < want.length; k++) {
      const n = Number(want[k].split('\t')[0]);
      assert.equal(got[k], want[k], `${rel} frame ${n}`);
      compared++;
    }
  }
  assert.ok(compared >= 45, `compared ${compared} DHCP frames`);
});

test('the display filters dhcp, dhcp.option.dhcp == 10 and dhcp.hw.mac_addr select the frames tshark selects', { skip }, async () => {
  assert.deepEqual(await filterDisagreements(DHCP_CAPTURES.map((rel) => path.join(corpus!, rel)), ['dhcp', 'dhcp.option.dhcp == 10', 'dhcp.option.type == 77', 'dhcp.hw.mac_addr == 00:0b:82:01:fc:42', 'dhcp.type == 2']), []);
});

test('hostile DHCP never throws or hangs: options past the end, endless padding, no End, short headers', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-dhcp-'));
  try {
    const header = (extra: Buffer): Buffer => {
      const b = Buffer.alloc(240);
      b[0] = 1; b[1] = 1; b[2] = 6;
      b.writeUInt32BE(0x1234, 4);
      b.writeUInt32BE(0x63825363, 236);
      return Buffer.concat([b, extra]);
    };
    const payloads = [
      header(Buffer.from([53, 1, 1, 61, 200, 1, 2])), // option length past the end
      header(Buffer.alloc(60000, 0)), // Pad for ever, no End
      header(Buffer.from([53, 1, 3])), // no End option
      header(Buffer.from([255, 53, 1, 1])), // End first: what follows is padding
      Buffer.alloc(100, 1), // shorter than the fixed header
      header(Buffer.from([53])), // the last option has no length byte
    ];
    const file = path.join(dir, 'dhcp.pcap');
    const w = openCaptureWriter(file, 1);
    const f = new CapturedFrame();
    payloads.forEach((p, i) => w.write(f.wrap(buildFrame({ udp: true, sport: 68, dport: 67, payload: p }), 1, 1_700_000_000 + i)));
    w.close();
    const out = tcpwatch(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-e', 'dhcp.option.type']).split('\n');
    assert.equal(out[0], 'DHCP\tDHCP Discover - Transaction ID 0x1234[Malformed Packet]\t53,61');
    assert.match(out[1], /^BOOTP\tBoot Request from/);
    assert.equal(out[2], 'DHCP\tDHCP Request  - Transaction ID 0x1234\t53');
    assert.equal(out[3].split('\t')[0], 'BOOTP');
    assert.match(out[4], /\[Malformed Packet\]/);
    assert.match(out[5], /\[Malformed Packet\]/);
    tcpwatch(['-r', file, '-V']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Captures, the frames a protocol has a say in, and the fields to compare there. */
const OTHERS: { name: string; captures: string[]; frames: string; fields: string[]; filters: string[]; least: number }[] = [
  {
    name: 'SSDP', captures: ['valid/ja4/latest.pcapng', 'valid/ja4/tls3.pcapng'], frames: 'udp.port == 1900',
    fields: ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info'], filters: ['ssdp'], least: 7,
  },
  {
    // the data and acknowledgement packets travel between ports neither of which is 69
    name: 'TFTP', captures: ['valid/tcpdump/tftp.pcap'], frames: 'udp',
    fields: ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'tftp.opcode', 'tftp.block', 'tftp.source_file', 'tftp.type'],
    filters: ['tftp', 'tftp.opcode == 3', 'tftp.block == 2'], least: 7,
  },
  {
    name: 'NBNS', captures: ['valid/ja4/latest.pcapng'], frames: 'udp.port == 137',
    fields: ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'nbns.id', 'nbns.flags', 'nbns.count.queries',
      'nbns.count.answers', 'nbns.name', 'nbns.type', 'nbns.class'],
    filters: ['nbns', 'nbns.name == "BLUECATNETWORKS<1b>"'], least: 3,
  },
  {
    name: 'RIPng', captures: ['valid/ja4/v6.pcap'], frames: 'udp.port == 521',
    fields: ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info', 'ripng.cmd', 'ripng.version', 'ripng.rte.ipv6_prefix',
      'ripng.rte.route_tag', 'ripng.rte.prefix_length', 'ripng.rte.metric'],
    filters: ['ripng', 'ripng.rte.metric == 16', 'ripng.rte.prefix_length == 48'], least: 2,
  },
];

for (const p of OTHERS) {
  test(`${p.name} in the corpus: Protocol, Info, fields and display filters agree with tshark frame by frame`, { skip }, () => {
    let compared = 0;
    for (const rel of p.captures) {
      const file = path.join(corpus!, rel);
      const args = ['-r', file, '-Y', p.frames, '-T', 'fields', ...p.fields.flatMap((f) => ['-e', f])];
      const want = run('tshark', ['-n', ...args]);
      assert.equal(tcpwatch(args), want, rel);
      compared += want.split('\n').filter(Boolean).length;
      for (const filter of p.filters) {
        const fargs = ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'];
        assert.equal(tcpwatch(fargs), run('tshark', ['-n', ...fargs]), `${rel} -Y '${filter}'`);
      }
    }
    assert.ok(compared >= p.least, `compared ${compared} frames`);
  });
}

test('hostile SSDP, TFTP and NBNS bytes never throw or hang', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-udp-hostile-'));
  try {
    const label = (n: number, c: number): Buffer => Buffer.concat([Buffer.from([n]), Buffer.alloc(n, c)]);
    const nbnsHeader = (qd: number): Buffer => { const b = Buffer.alloc(12); b.writeUInt16BE(qd, 4); return b; };
    /** A response header and one answer's name, type, class, TTL and data length. */
    const nbnsAnswer = (type: number, dataLength: number, answers = 1): Buffer => {
      const b = Buffer.alloc(12 + 34 + 10);
      b.writeUInt16BE(0x8400, 2);
      b.writeUInt16BE(answers, 6);
      b[12] = 32;
      b.fill(0x41, 13, 45);
      b.writeUInt16BE(type, 46);
      b.writeUInt16BE(1, 48);
      b.writeUInt16BE(dataLength, 54);
      return b;
    };
    const cases: { sport: number; dport: number; payload: Buffer }[] = [
      { sport: 40000, dport: 1900, payload: Buffer.alloc(60000, 0x41) }, // no line end
      { sport: 40000, dport: 1900, payload: Buffer.from('\r\n') },
      { sport: 40001, dport: 69, payload: Buffer.from([0, 1]) }, // request without file or mode
      { sport: 40001, dport: 69, payload: Buffer.from([0, 1, 0x61, 0x62]) }, // no NUL
      { sport: 40001, dport: 69, payload: Buffer.from([0]) },
      { sport: 69, dport: 40001, payload: Buffer.from([0, 5, 0, 99]) }, // error without message
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsHeader(65535), Buffer.alloc(3000, 0)]) }, // claims 65535 questions
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsHeader(1), Buffer.from([0xc0, 0x0c, 0, 0x20, 0, 1])]) }, // pointer loop
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsHeader(1), ...Array.from({ length: 300 }, () => label(63, 0x41))]) },
      { sport: 137, dport: 137, payload: Buffer.from([1, 2, 3]) },
      { sport: 521, dport: 521, payload: Buffer.from([2, 1, 0]) }, // RIPng header cut short
      { sport: 521, dport: 521, payload: Buffer.concat([Buffer.from([2, 1, 0, 0]), Buffer.alloc(30, 0xff)]) }, // an entry and a half
      // responses whose records claim more than they hold: node status of 255 names in 40 bytes, NB data of 65535 bytes, 65535 answers
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsAnswer(0x21, 0xffff), Buffer.from([255]), Buffer.alloc(40, 0x41)]) },
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsAnswer(0x20, 0xffff), Buffer.alloc(20, 0x60)]) },
      { sport: 137, dport: 137, payload: Buffer.concat([nbnsAnswer(0x20, 6, 65535), Buffer.alloc(6, 1), ...Array.from({ length: 200 }, () => Buffer.from([0xc0, 0x0c, 0, 0x21, 0, 1, 0, 0, 0, 0, 0, 1, 0]))]) },
    ];
    const file = path.join(dir, 'udp.pcap');
    const w = openCaptureWriter(file, 1);
    const f = new CapturedFrame();
    cases.forEach((c, i) => w.write(f.wrap(buildFrame({ udp: true, sport: c.sport, dport: c.dport, payload: c.payload }), 1, 1_700_000_000 + i)));
    w.close();
    const out = tcpwatch(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-e', 'nbns.name', '-e', 'tftp.source_file']).split('\n');
    assert.equal(out.filter(Boolean).length, cases.length);
    // tshark's HTTP dissector (SSDP) takes only what starts like HTTP
    assert.equal(out[0].split('\t')[0], 'UDP');
    // a request whose file name has no NUL stops after its kind, as tshark's exception does
    assert.equal(out[3], 'TFTP\tRead Request[Malformed Packet]\t\t');
    assert.equal(out[5], 'TFTP\tError Code, Code: Unknown (99)[Malformed Packet]\t\t');
    // a name that points at itself reads as tshark 4.0 reads it
    assert.equal(out[7], 'NBNS\tName query NB Illegal NetBIOS name (1st character not between A and Z in first-level encoding)\t' +
      'Illegal NetBIOS name (1st character not between A and Z in first-level encoding)\t');
    assert.equal(out[10].split('\t')[0], 'RIPng');
    assert.match(out[11], /^RIPng\t Command Response, Version 1\[Malformed Packet\]\t/);
    tcpwatch(['-r', file, '-V']);
    tcpwatch(['-r', file, '-T', 'json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
