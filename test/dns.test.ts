// DNS, mDNS and LLMNR against tshark 4.0: (1) every corpus capture with DNS, frame by frame, the
// Protocol and Info columns and the main dns.* fields, every occurrence; (2) real traffic recorded
// in the test — dnsmasq answering dig over UDP and TCP on port 53 inside a network namespace of its
// own, captured with tcpdump; (3) hostile messages (compression loops, pointers out of the message,
// names past 255 characters, counts larger than the bytes, cut records) neither crash nor hang
// tcpwatch and are marked malformed where tshark marks them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync, ChildProcess } from 'node:child_process';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { filterDisagreements } from './helpers/filter-agreement';
import { have, isRoot } from './helpers/system';
import { startTcpdump } from './helpers/tcpdump';
import { buildFrame, FrameSpec } from './helpers/frames';
import { dnsTcpPduLength } from '../src/protocols/dns';

/** The fields compared with tshark, every occurrence of each. */
const FIELDS = [
  '_ws.col.Protocol', '_ws.col.Info',
  'dns.id', 'dns.flags', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.authoritative', 'dns.flags.conflict',
  'dns.flags.truncated', 'dns.flags.recdesired', 'dns.flags.tentative', 'dns.flags.recavail', 'dns.flags.z', 'dns.flags.authenticated', 'dns.flags.checkdisable',
  'dns.flags.rcode', 'dns.count.queries', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr', 'dns.qry.name',
  'dns.qry.name.len', 'dns.count.labels', 'dns.qry.type', 'dns.qry.class', 'dns.resp.name', 'dns.resp.type',
  'dns.resp.class', 'dns.resp.ttl', 'dns.resp.len', 'dns.a', 'dns.aaaa', 'dns.cname', 'dns.ns', 'dns.ptr.domain_name',
  'dns.mx.preference', 'dns.mx.mail_exchange', 'dns.soa.mname', 'dns.soa.rname', 'dns.soa.serial_number',
  'dns.soa.refresh_interval', 'dns.soa.retry_interval', 'dns.soa.expire_limit', 'dns.soa.minimum_ttl', 'dns.srv.service',
  'dns.srv.proto', 'dns.srv.name', 'dns.srv.priority', 'dns.srv.weight', 'dns.srv.port', 'dns.srv.target', 'dns.txt.length',
  'dns.txt', 'dns.rr.udp_payload_size', 'dns.resp.ext_rcode', 'dns.resp.edns0_version', 'dns.resp.z', 'dns.resp.z.do',
  'dns.opt.code', 'dns.opt.len', 'dns.opt.data', 'dns.opt.cookie.client', 'dns.opt.cookie.server', 'dns.opt.padding',
  'dns.opt.client.family', 'dns.opt.client.netmask', 'dns.opt.client.scope', 'dns.svcb.svcpriority', 'dns.svcb.targetname',
  'dns.length', 'dns.response_to', 'dns.time', 'dns.retransmission', 'dns.retransmit_request_in',
  'dns.retransmit_response_in', 'dns.unsolicited',
];
const DNS_LABELS = new Set(['DNS', 'MDNS', 'LLMNR']);

function fieldsArgs(file: string, extra: string[] = []): string[] {
  return ['-n', '-r', file, ...extra, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...FIELDS.flatMap((f) => ['-e', f])];
}

function rows(out: string): string[][] {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

/**
 * Every disagreement between tshark and tcpwatch on `file`: Protocol and Info on frames either
 * calls DNS, MDNS or LLMNR, the dns.* fields on every frame. Also returns the number of DNS frames.
 */
function disagreements(file: string, tsharkExtra: string[] = []): { dnsFrames: number; diffs: string[] } {
  const theirs = rows(execFileSync('tshark', fieldsArgs(file, tsharkExtra), { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }));
  const ours = rows(execFileSync(process.execPath, [CLI, ...fieldsArgs(file)], { encoding: 'utf8', maxBuffer: 1 << 28 }));
  assert.equal(ours.length, theirs.length, `${file}: frames`);
  const diffs: string[] = [];
  let dnsFrames = 0;
  for (let r = 0; r < theirs.length; r++) {
    const isDns = DNS_LABELS.has(theirs[r][0]) || DNS_LABELS.has(ours[r][0]);
    if (DNS_LABELS.has(theirs[r][0])) dnsFrames++;
    for (let c = isDns ? 0 : 2; c < FIELDS.length; c++) {
      const want = theirs[r][c] ?? '', got = ours[r][c] ?? '';
      if (want !== got) diffs.push(`${path.basename(file)} frame ${r + 1} ${FIELDS[c]}: tshark "${want}", tcpwatch "${got}"`);
    }
  }
  return { dnsFrames, diffs };
}

const corpus = corpusDir();

test('DNS agrees with tshark on every corpus capture that has DNS', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false, timeout: 300_000 }, (t) => {
  // The captures whose expected columns (made by tshark 4.0) name DNS, mDNS or LLMNR.
  const expected = path.join(corpus!, 'expected');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.tsv') && !e.name.endsWith('.decrypted.tsv') && /\t(DNS|MDNS|LLMNR)\t/.test(fs.readFileSync(p, 'utf8'))) {
        files.push(path.join(corpus!, path.relative(expected, p).replace(/\.tsv$/, '')));
      }
    }
  };
  walk(expected);
  for (const must of ['valid/tcpdump-protocols/dns_udp.pcap', 'valid/tcpdump-protocols/dns-uri.pcap', 'valid/tcpdump-protocols/edns-opts.pcap', 'valid/tcpdump/dns_tcp.pcap', 'valid/ja4/latest.pcapng']) {
    assert.ok(files.includes(path.join(corpus!, must)), `${must} is among the captures with DNS`);
  }
  let frames = 0;
  const diffs: string[] = [];
  for (const file of files) {
    const r = disagreements(file);
    frames += r.dnsFrames;
    diffs.push(...r.diffs);
  }
  t.diagnostic(`${files.length} captures, ${frames} DNS frames, ${FIELDS.length} columns each`);
  assert.ok(frames >= 150, `DNS frames: ${frames}`);
  assert.deepEqual(diffs.slice(0, 20), []);
});

test('the DNS filters work on the corpus: names, flags, addresses', { skip: corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false }, async () => {
  const files = ['valid/tcpdump-protocols/dns_udp.pcap', 'valid/tcpdump-protocols/edns-opts.pcap'].map((rel) => path.join(corpus!, rel));
  const filters = [
    'dns', 'dns.qry.name contains "tcpdump"', 'dns.flags.response == 1', 'dns.a == 192.139.46.66',
    'dns.aaaa == 2607:f0b0:f::babe:f00d', 'dns.resp.ttl > 3600', 'dns.a == 93.184.216.34',
    'dns.opt.code == 8', 'dns.flags.rcode == 0 && !dns.flags.response', 'dns.qry.name == "example.com"',
  ];
  assert.deepEqual(await filterDisagreements(files, filters), []);
});

// ---- real traffic: dnsmasq and dig in a network namespace of the test's own ----

const live = !isRoot ? 'needs root (network namespace, tcpdump)' : !have('dnsmasq') || !have('dig') || !have('tcpdump') || !have('tshark') || !have('ip') ? 'needs dnsmasq, dig, tcpdump, tshark and ip' : false;

function inNamespace(ns: string, cmd: string, args: string[], timeout = 10_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
}

function stopProcess(p: ChildProcess, timeoutMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { p.kill('SIGKILL'); }, timeoutMs);
    p.once('close', () => { clearTimeout(timer); resolve(); });
    p.kill('SIGTERM');
  });
}

/** Twelve strings of 203 characters: an answer of about 2.5 KB, two segments and a piece at MTU 1280. */
const BIG_TXT = Array.from({ length: 12 }, (_, i) => 'x'.repeat(200) + `-${String(i).padStart(2, '0')}`);

test('dig against dnsmasq over UDP and TCP: tcpwatch reads the recorded traffic as tshark does', { skip: live, timeout: 120_000 }, async (t) => {
  const ns = `tcpwatch-dns-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-dns-'));
  const pcap = path.join(dir, 'dns.pcap');
  let dnsmasq: ChildProcess | null = null;
  let tcpdump: Awaited<ReturnType<typeof startTcpdump>> | null = null;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // A small MTU, and segments no larger (no GSO), so that a large answer over TCP spans segments
    // as it would on a real link and tcpwatch must reassemble it.
    inNamespace(ns, 'ip', ['link', 'set', 'lo', 'up', 'mtu', '1280', 'gso_max_size', '1280', 'gso_max_segs', '1']);
    // Port 53 of the namespace's own loopback is free whatever the machine runs, so both tshark
    // and tcpwatch decode the traffic as DNS by its port.
    dnsmasq = spawn('ip', ['netns', 'exec', ns, 'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--port=53',
      '--listen-address=127.0.0.1', '--bind-interfaces', '--local=/example.test/', '--address=/wild.test/10.1.2.3',
      '--host-record=host.example.test,10.1.2.4,fd00::4', '--txt-record=txt.example.test,hello world,second',
      `--txt-record=big.example.test,${BIG_TXT.join(',')}`,
      '--mx-host=example.test,mail.example.test,10', '--srv-host=_sip._tcp.example.test,sip.example.test,5060,1,2',
      '--cname=alias.example.test,host.example.test', '--pid-file=' + path.join(dir, 'dnsmasq.pid')], { stdio: 'ignore' });
    // Ready when it answers.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'dig', '@127.0.0.1', '+time=1', '+tries=1', '+short', 'host.example.test'], { encoding: 'utf8', timeout: 3000 });
      if (r.stdout.includes('10.1.2.4')) break;
      assert.ok(Date.now() < deadline, 'dnsmasq did not start answering');
      await new Promise((res) => setTimeout(res, 100));
    }
    tcpdump = await startTcpdump(pcap, 'udp port 53 or tcp port 53', [], ['ip', 'netns', 'exec', ns]);
    const dig = (...args: string[]): string => inNamespace(ns, 'dig', ['@127.0.0.1', '+time=2', '+tries=1', ...args]);
    assert.match(dig('+short', 'A', 'wild.test'), /10\.1\.2\.3/);
    assert.match(dig('+short', 'AAAA', 'host.example.test'), /fd00::4/);
    assert.match(dig('+short', 'MX', 'example.test'), /10 mail\.example\.test\./);
    assert.match(dig('+short', 'TXT', 'txt.example.test'), /"hello world" "second"/);
    assert.match(dig('+short', 'SRV', '_sip._tcp.example.test'), /1 2 5060 sip\.example\.test\./);
    assert.match(dig('+short', 'A', 'alias.example.test'), /host\.example\.test\.\n10\.1\.2\.4/);
    assert.match(dig('A', 'missing.example.test'), /status: NXDOMAIN/);
    assert.match(dig('+tcp', '+short', 'A', 'host.example.test'), /10\.1\.2\.4/);
    assert.ok(dig('+tcp', '+short', 'TXT', 'big.example.test').includes(BIG_TXT[11]));
    const dropped = await tcpdump.stop(200);
    tcpdump = null;
    assert.equal(dropped, 0);

    const { dnsFrames, diffs } = disagreements(pcap);
    t.diagnostic(`recorded ${dnsFrames} DNS frames`);
    assert.ok(dnsFrames >= 16, `DNS frames: ${dnsFrames}`);
    assert.deepEqual(diffs, []);
    // What was recorded is what the test asked for: an NXDOMAIN, a CNAME, DNS over TCP, and every query answered.
    const get = (field: string): string[] => execFileSync(process.execPath, [CLI, '-r', pcap, '-Y', 'dns', '-T', 'fields', '-e', field], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(get('_ws.col.Info').some((i) => /^Standard query response 0x[0-9a-f]{4} No such name A missing\.example\.test/.test(i)));
    assert.ok(get('dns.cname').includes('host.example.test'));
    assert.equal(get('dns.length').length, 4, 'two queries and two responses over TCP');
    assert.equal(get('dns.response_to').length, 9, 'every response names its query');
    // The large answer spans segments: the frames before the last carry pieces, the last the message.
    const info = execFileSync(process.execPath, [CLI, '-r', pcap, '-Y', 'tcp.len > 0', '-T', 'fields', '-e', '_ws.col.Info'], { encoding: 'utf8' }).split('\n');
    assert.ok(info.filter((i) => i.endsWith('[TCP segment of a reassembled PDU]')).length >= 2, info.join('\n'));
    const txt = execFileSync(process.execPath, [CLI, '-r', pcap, '-Y', 'dns.qry.name == "big.example.test" && dns.flags.response == 1', '-T', 'fields', '-e', 'dns.txt'], { encoding: 'utf8' }).trim();
    assert.equal(txt, BIG_TXT.join(','));
  } finally {
    if (tcpdump !== null) await stopProcess(tcpdump.proc);
    if (dnsmasq !== null) await stopProcess(dnsmasq);
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- hostile messages ----

/** A pcap (Ethernet) of the given frames, one a microsecond apart. */
function writePcap(file: string, frames: Buffer[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(i, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  fs.writeFileSync(file, Buffer.concat(parts));
}

/** A DNS header: id, flags, then the four counts. */
function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  [id, flags, qd, an, ns, ar].forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
}
const label = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
const name = (...labels: string[]): Buffer => Buffer.concat([...labels.map(label), Buffer.from([0])]);
const A_IN = Buffer.from([0, 1, 0, 1]);
const rr = (owner: Buffer, type: number, rdata: Buffer, rdlenOverride?: number): Buffer => {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(300, 4);
  fixed.writeUInt16BE(rdlenOverride ?? rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
};

const HOSTILE: [string, Buffer, boolean][] = [
  // [what, the DNS message, whether tcpwatch must call it malformed]
  ['a name that points at itself', Buffer.concat([header(1, 0x0100, 1), Buffer.from([0xc0, 0x0c]), A_IN]), false],
  ['two names that point at each other', Buffer.concat([header(2, 0x8180, 1, 1), Buffer.from([0xc0, 0x1c]), A_IN, rr(Buffer.from([0xc0, 0x0c]), 1, Buffer.from([1, 2, 3, 4]))]), false],
  ['a pointer past the end of the message', Buffer.concat([header(3, 0x0100, 1), Buffer.from([0xc0, 0xff]), A_IN]), true],
  ['a pointer forward, to a name later in the message', Buffer.concat([header(4, 0x8180, 1, 1), Buffer.from([0xc0, 0x1c]), A_IN, rr(name('fwd', 'test'), 1, Buffer.from([9, 9, 9, 9]))]), false],
  ['a one-character name', Buffer.concat([header(16, 0x0100, 1), name('a'), A_IN]), false],
  ['the root name, and a zero-length owner', Buffer.concat([header(5, 0x8180, 1, 1), Buffer.from([0]), Buffer.from([0, 2, 0, 1]), rr(Buffer.from([0]), 2, name('a', 'root-servers', 'net'))]), false],
  ['a name of 320 characters', Buffer.concat([header(6, 0x0100, 1), name('a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(63), 'e'.repeat(63)), A_IN]), false],
  ['a name of 300 one-character labels, no pointer', Buffer.concat([header(15, 0x0100, 1), name(...new Array<string>(300).fill('x')), A_IN]), false],
  ['65535 questions in a few bytes', Buffer.concat([header(7, 0x0100, 65535), name('x', 'test'), A_IN]), true],
  ['65535 answers in a few bytes', Buffer.concat([header(8, 0x8180, 1, 65535, 65535, 65535), name('x', 'test'), A_IN, rr(Buffer.from([0xc0, 0x0c]), 1, Buffer.from([1, 2, 3, 4]))]), true],
  ['a record cut short of its data length', Buffer.concat([header(9, 0x8180, 1, 1), name('cut', 'test'), A_IN, rr(Buffer.from([0xc0, 0x0c]), 1, Buffer.from([1, 2]), 100)]), true],
  ['a record cut inside its fixed part', Buffer.concat([header(10, 0x8180, 1, 1), name('cut', 'test'), A_IN, Buffer.from([0xc0, 0x0c, 0, 1, 0])]), true],
  ['a header of 7 bytes', Buffer.from([0, 11, 1, 0, 0, 1, 0]), true],
  ['a label of the reserved type 0x80', Buffer.concat([header(12, 0x0100, 1), Buffer.from([0x81, 0x61, 0]), A_IN]), true],
  ['a CNAME whose target points outside the message', Buffer.concat([header(13, 0x8180, 1, 1), name('c', 'test'), A_IN, rr(Buffer.from([0xc0, 0x0c]), 5, Buffer.from([0xc3, 0x00]))]), true],
  ['a chain of 300 pointers', (() => {
    // After the question: a root name at 18, then pointers each leading to the one before it;
    // the question's name points at the last. Longer than any real name: cut as a loop.
    const chain = [0];
    for (let k = 0; k < 300; k++) { const target = k === 0 ? 18 : 19 + 2 * (k - 1); chain.push(0xc0 | (target >> 8), target & 0xff); }
    const top = 19 + 2 * 299;
    return Buffer.concat([header(14, 0x0100, 1), Buffer.from([0xc0 | (top >> 8), top & 0xff]), A_IN, Buffer.from(chain)]);
  })(), false],
];

test('hostile DNS messages neither crash nor hang tcpwatch, and are marked malformed', { timeout: 60_000 }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-dns-hostile-'));
  try {
    const pcap = path.join(dir, 'hostile.pcap');
    const spec = (payload: Buffer, i: number): FrameSpec => ({ udp: true, sport: 40000 + i, dport: 53, src: '10.0.0.1', dst: '10.0.0.2', payload });
    writePcap(pcap, HOSTILE.map(([, msg], i) => buildFrame(spec(msg, i))));
    const started = Date.now();
    const run = (args: string[]): string => execFileSync(process.execPath, [CLI, '-r', pcap, ...args], { encoding: 'utf8', timeout: 20_000, maxBuffer: 1 << 26 });
    const info = run(['-T', 'fields', '-e', '_ws.col.Info']).split('\n');
    run(['-V']);
    run(['-T', 'json']);
    run(['-T', 'pdml']);
    run(['-Y', 'dns.qry.name contains "a" || dns.a == 1.2.3.4', '-T', 'fields', '-e', 'frame.number']);
    t.diagnostic(`${HOSTILE.length} hostile messages through every view in ${Date.now() - started} ms`);
    HOSTILE.forEach(([what, , malformed], i) => {
      assert.equal(info[i].endsWith('[Malformed Packet]'), malformed, `${what}: ${info[i]}`);
    });
    if (have('tshark')) {
      const columns = ['-T', 'fields', '-e', '_ws.col.Info', '-e', 'dns.qry.name', '-e', 'dns.qry.name.len', '-e', 'dns.count.labels', '-e', 'dns.resp.name'];
      const theirs = execFileSync('tshark', ['-n', '-r', pcap, ...columns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
      const ours = run(columns).split('\n');
      HOSTILE.forEach(([what], i) => {
        // tshark marks a malformed frame `[Malformed Packet]` right after what it wrote, without a space.
        assert.equal(ours[i], theirs[i], `${what}: as tshark shows it`);
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dnsTcpPduLength says how long a DNS-over-TCP PDU is, or that its length has not arrived', () => {
  const segment = Buffer.from([0x00, 0x1d, 0xab, 0xcd, 0x00]);
  assert.equal(dnsTcpPduLength(segment, 0, segment.length), 2 + 0x1d);
  assert.equal(dnsTcpPduLength(segment, 0, 1), -1);
  assert.equal(dnsTcpPduLength(segment, 4, 5), -1);
  assert.equal(dnsTcpPduLength(segment, 2, 4), 2 + 0xabcd);
});

test('mDNS and LLMNR, and two DNS messages in one TCP segment, as tshark shows them', { skip: !have('tshark') ? 'needs tshark' : false, timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-dns-kinds-'));
  try {
    const pcap = path.join(dir, 'kinds.pcap');
    const ptrQuestion = Buffer.concat([name('_ipp', '_tcp', 'local'), Buffer.from([0, 12, 0x80, 1])]); // QU question
    const mdnsAnswer = rr(name('printer', 'local'), 1, Buffer.from([192, 168, 1, 50]));
    mdnsAnswer.writeUInt16BE(0x8001, name('printer', 'local').length + 2); // cache flush, class IN
    const llmnrQuery = Buffer.concat([header(0x4242, 0x0000, 1), name('wpad'), A_IN]);
    const framed = (msgs: Buffer[]): Buffer => Buffer.concat(msgs.flatMap((m) => [Buffer.from([m.length >> 8, m.length & 0xff]), m]));
    const one = Buffer.concat([header(0x0101, 0x0100, 1), name('one', 'test'), A_IN]);
    const two = Buffer.concat([header(0x0202, 0x0100, 1), name('two', 'test'), A_IN]);
    writePcap(pcap, [
      buildFrame({ udp: true, sport: 5353, dport: 5353, src: '192.168.1.10', dst: '224.0.0.251', payload: Buffer.concat([header(0, 0x0000, 1), ptrQuestion]) }),
      buildFrame({ udp: true, sport: 5353, dport: 5353, src: '192.168.1.50', dst: '224.0.0.251', payload: Buffer.concat([header(0, 0x8400, 0, 1), mdnsAnswer]) }),
      buildFrame({ udp: true, sport: 51000, dport: 5355, src: '192.168.1.10', dst: '224.0.0.252', payload: llmnrQuery }),
      // conflict and truncated set, as RFC 4795 §2.1.1 lets a responder say
      buildFrame({ udp: true, sport: 5355, dport: 51000, src: '192.168.1.9', dst: '192.168.1.10',
        payload: Buffer.concat([header(0x4242, 0x8600, 1, 1), name('wpad'), A_IN, rr(Buffer.from([0xc0, 0x0c]), 1, Buffer.from([10, 0, 0, 9]))]) }),
      buildFrame({ sport: 40000, dport: 53, src: '10.0.0.1', dst: '10.0.0.2', flags: 0x018, seq: 1, ack: 1, payload: framed([one, two]) }),
    ]);
    const { dnsFrames, diffs } = disagreements(pcap);
    assert.equal(dnsFrames, 5);
    assert.deepEqual(diffs, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
