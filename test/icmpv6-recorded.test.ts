// ICMPv6 that real programs send, recorded here and read by tcpwatch as tshark 4.0 reads it, frame
// by frame (the Protocol and Info columns and every ICMPv6 field tcpwatch registers):
//  - Node Information queries (RFC 4620) from iputils ping -N across a veth pair, answered by a
//    responder the test runs in the other namespace (Linux answers none);
//  - the kernel's own Router Solicitation when an interface comes up, answered with a Router
//    Advertisement (prefix, MTU, source link-layer address, DNS server), and the kernel's reaction:
//    an address from the prefix and the Neighbor Solicitation of its duplicate address detection;
//  - negated and combined protocol filters on those recordings and on mixed traffic (dig against
//    dnsmasq over UDP and TCP, ping and ping -6 with the ARP and Neighbor Discovery before them,
//    datagrams to closed ports, a refused TCP connection) select the frames tshark selects.
// Each test makes its namespaces and removes them, and kills what it started, however it ends.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump, Tcpdump } from './helpers/tcpdump';
import { filterDisagreements } from './helpers/filter-agreement';
import { countFrames } from './helpers/pipeline';
import { withConcatenated } from './helpers/concatenated';

const needs = (...cmds: string[]): string | false =>
  !isRoot ? 'needs root for network namespaces and capture' : cmds.every(have) ? false : `needs ${cmds.join(', ')}`;

// ---- comparing a recording with tshark ----

// The fields compared: every one tcpwatch registers for a protocol, but for its tree's text items
// (dns.queries, icmp.ext.object), whose names are tcpwatch's own.
const fieldRows = (out: string): string[][] => out.split('\n').map((l) => l.split('\t')).filter((c) => c[0] === 'F');
const registered = fieldRows(execFileSync(process.execPath, [CLI, '-G', 'fields'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
const tsharkNames = new Set(have('tshark')
  ? fieldRows(execFileSync('tshark', ['-G', 'fields'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] })).map((c) => c[2])
  : []);
/** The two columns, then the fields of these protocols that tcpwatch registers under tshark's names; `left` those it does not. */
function fieldsFor(protocols: readonly string[]): { names: string[]; left: string[] } {
  const ours = registered.filter((c) => protocols.includes(c[4])).map((c) => c[2]);
  return { names: ['_ws.col.Protocol', '_ws.col.Info', ...ours.filter((n) => tsharkNames.has(n))], left: ours.filter((n) => !tsharkNames.has(n)) };
}
const ICMPV6 = fieldsFor(['icmpv6']);
const ICMPV6_FIELDS = ICMPV6.names;

function readFields(reader: 'tshark' | 'tcpwatch', file: string, names: readonly string[]): string[][] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', ...names.flatMap((f) => ['-e', f])];
  const out = reader === 'tshark'
    ? execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 })
    : execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
  return out.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').map((l) => l.split('\t'));
}

/**
 * tshark's and tcpwatch's reading of every frame of `file`: the columns and the given fields of
 * every frame (empty where a frame has none). Returns the frames compared, what
 * tshark read, and the differences (at most 30).
 */
function compareWithTshark(file: string, names: readonly string[] = ICMPV6_FIELDS): { frames: number; want: string[][]; diffs: string[] } {
  const want = readFields('tshark', file, names), got = readFields('tcpwatch', file, names);
  const diffs: string[] = [];
  if (got.length !== want.length) diffs.push(`${path.basename(file)}: tshark read ${want.length} frames, tcpwatch ${got.length}`);
  for (let i = 0; i < want.length && diffs.length < 30; i++) {
    for (let j = 0; j < names.length; j++) {
      const a = want[i][j] ?? '', b = got[i]?.[j] ?? '';
      if (a !== b) diffs.push(`${path.basename(file)} frame ${i + 1} ${names[j]}: tshark "${a}" tcpwatch "${b}"`);
    }
  }
  return { frames: want.length, want, diffs };
}

// ---- namespaces, processes ----

const tag = `tw6${process.pid % 100000}`;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
}
function inNs(ns: string, cmd: string, args: string[], timeout = 10_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
/** Sets net.ipv6.conf.<dev>.<key> in `ns` for each `key=value` (through /proc: the sysctl command is not always there). */
function ipv6Conf(ns: string, dev: string, ...settings: string[]): void {
  for (const setting of settings) {
    const [key, value] = setting.split('=');
    const r = inNs(ns, 'sh', ['-c', `echo ${value} > /proc/sys/net/ipv6/conf/${dev}/${key}`]);
    assert.equal(r.status, 0, `net.ipv6.conf.${dev}.${setting}: ${r.stderr}`);
  }
}

interface VethPair { a: string; b: string; devA: string; devB: string }
/** The names of two namespaces `${name}a` and `${name}b` and of the veth pair `${name}a0`–`${name}b0` between them. */
function pairNamed(name: string): VethPair {
  return { a: `${name}a`, b: `${name}b`, devA: `${name}a0`, devB: `${name}b0` };
}
/** Makes the namespaces and the veth pair, with these MACs, both ends down. */
function makePair({ a, b, devA, devB }: VethPair, macA: string, macB: string): void {
  ip('netns', 'add', a);
  ip('netns', 'add', b);
  ip('link', 'add', devA, 'netns', a, 'address', macA, 'type', 'veth', 'peer', 'name', devB, 'netns', b, 'address', macB);
}
function deleteNamespaces(...names: string[]): void {
  for (const n of names) spawnSync('ip', ['netns', 'del', n], { timeout: 10_000 });
}

/** A python3 program run in `ns`, started once it prints "ready". */
async function startPython(ns: string, program: string, args: string[]): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  for (const deadline = Date.now() + 5000; !out.includes('ready'); await sleep(20)) {
    if (p.exitCode !== null || Date.now() > deadline) {
      p.kill('SIGKILL');
      throw new Error(`python3 did not start: ${err}`);
    }
  }
  return p;
}
function stopProcess(p: ChildProcess | null, timeoutMs = 3000): Promise<void> {
  if (p === null || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('close', () => { clearTimeout(timer); resolve(); });
    p.kill('SIGTERM');
  });
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The recordings of the tests before the filter test, which reads them all again. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-icmpv6-rec-'));
const recordings = new Map<string, string>();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---- 1. Node Information ----

// A Node Information responder after RFC 4620 §6: it answers a query whose subject is one of its
// addresses or its name (first label) with its name, its IPv6 addresses of the scopes the G, S and
// L flags ask (all when none is set), or its IPv4 addresses (more with the A flag); a query about
// another subject is refused, an unknown Qtype told so. The nonce and flags go back as they came.
const NI_RESPONDER = `
import socket, struct, sys, ipaddress
name = sys.argv[1].encode()
labels = name.split(b'.')
v6 = [(ipaddress.IPv6Address(a), scope, ttl) for a, scope, ttl in [(sys.argv[2], 0x20, 3600), ('fec0::2', 0x10, 1800), (sys.argv[3], 0x08, 0xffffffff)]]
v4 = [ipaddress.IPv4Address(sys.argv[4])]
more_v4 = [ipaddress.IPv4Address('192.0.2.2')]
def dns_name(labels):
    return b''.join(bytes([len(l)]) + l for l in labels) + bytes([0])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
print('ready', flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 16 or q[0] != 139:
        continue
    code, qtype, flags, nonce, subject = q[1], struct.unpack('!H', q[4:6])[0], struct.unpack('!H', q[6:8])[0], q[8:16], q[16:]
    if code == 0:
        known = len(subject) == 16 and ipaddress.IPv6Address(subject) in [a for a, _, _ in v6]
    elif code == 1:
        known = len(subject) == 0 or (len(subject) > 1 and subject[1:1 + subject[0]].lower() == labels[0].lower())
    else:
        known = len(subject) == 4 and ipaddress.IPv4Address(subject) in v4
    rcode, data = 0, b''
    if not known:
        rcode = 1
    elif qtype == 0:
        pass
    elif qtype == 2:
        data = struct.pack('!I', 0) + dns_name(labels)
    elif qtype == 3:
        wanted = flags & 0x38
        for a, scope, ttl in v6:
            if wanted == 0 or flags & scope:
                data += struct.pack('!I', ttl) + a.packed
    elif qtype == 4:
        for a in v4 + (more_v4 if flags & 0x02 else []):
            data += struct.pack('!I', 86400) + a.packed
    else:
        rcode = 2
    s.sendto(struct.pack('!BBHHH', 140, rcode, 0, qtype, flags & 0xfffe) + nonce + data, peer)
`;

test('ping -N Node Information queries and their replies, recorded across a veth pair, read as tshark reads them', {
  skip: needs('ip', 'tcpdump', 'tshark', 'ping', 'python3'), timeout: 90_000,
}, async (t) => {
  const pair = pairNamed(`${tag}n`), { a, b, devA, devB } = pair;
  let responder: ChildProcess | null = null;
  let td: Tcpdump | null = null;
  try {
    makePair(pair, '02:00:5e:77:01:01', '02:00:5e:77:01:02');
    ip('-n', a, 'addr', 'add', 'fd77::1/64', 'dev', devA, 'nodad');
    ip('-n', b, 'addr', 'add', 'fd77::2/64', 'dev', devB, 'nodad');
    ip('-n', b, 'addr', 'add', '10.77.0.2/24', 'dev', devB);
    ip('-n', a, 'link', 'set', devA, 'up');
    ip('-n', b, 'link', 'set', devB, 'up');
    responder = await startPython(b, NI_RESPONDER, ['responder.tcpwatch.test', 'fd77::2', 'fe80::5eff:fe77:102', '10.77.0.2']);
    const pcap = path.join(dir, 'nodeinfo.pcap');
    td = await startTcpdump(pcap, 'icmp6', ['-i', devA], ['ip', 'netns', 'exec', a]);
    // What ping prints of each reply shows that it took the reply as one (nonce and all).
    const queries: [string[], RegExp][] = [
      [['name'], /responder\.tcpwatch\.test\./],
      [['ipv6'], /fd77::2, fec0::2, fe80::5eff:fe77:102/],
      [['ipv6-all'], /fd77::2, fec0::2, fe80::5eff:fe77:102/],
      [['ipv6-global'], /: fd77::2;/],
      [['ipv6-sitelocal'], /: fec0::2;/],
      [['ipv6-linklocal'], /: fe80::5eff:fe77:102;/],
      [['ipv4'], /: 10\.77\.0\.2;/],
      [['ipv4-all'], /10\.77\.0\.2, 192\.0\.2\.2/],
      [['name', 'subject-name=responder'], /responder\.tcpwatch\.test\./],
      [['ipv6', 'subject-fqdn=responder.tcpwatch.test'], /fd77::2/],
      [['name', 'subject-ipv6=fd77::2'], /responder\.tcpwatch\.test\./],
      [['ipv6-global', 'subject-ipv4=10.77.0.2'], /: fd77::2;/],
      [['ipv4', 'subject-name=stranger.example'], /refused/],
      [['name', 'subject-ipv6=fd77::99'], /refused/],
    ];
    for (const [options, printed] of queries) {
      const r = inNs(a, 'ping', ['-6', '-c', '1', '-W', '2', ...options.flatMap((o) => ['-N', o]), 'fd77::2']);
      assert.match(r.stdout, printed, `ping -N ${options.join(' -N ')}: ${r.stdout}${r.stderr}`);
    }
    assert.equal(await td.stop(200), 0, 'tcpdump dropped packets');
    td = null;
    recordings.set('nodeinfo', pcap);

    assert.deepEqual(ICMPV6.left, [], 'every ICMPv6 field tcpwatch registers has tshark\'s name');
    const { frames, want, diffs } = compareWithTshark(pcap);
    const info = want.map((row) => row[1]);
    const queriesSeen = info.filter((i) => i.startsWith('Node Information Query')).length;
    const replies = info.filter((i) => i.startsWith('Node Information Reply')).length;
    t.diagnostic(`${frames} frames compared (${queriesSeen} queries, ${replies} replies), ${ICMPV6_FIELDS.length} fields each`);
    assert.equal(queriesSeen, queries.length);
    assert.equal(replies, queries.length);
    for (const code of ['Query subject = IPv6 addresses', 'Query subject = DNS name or empty', 'Query subject = IPv4 addresses', 'Successful', 'Refused']) {
      assert.ok(info.some((i) => i.includes(`(${code})`)), `a message "${code}" was recorded`);
    }
    assert.deepEqual(diffs, []);
  } finally {
    await stopProcess(td?.proc ?? null);
    await stopProcess(responder);
    deleteNamespaces(a, b);
  }
});

// ---- 2. Router Solicitation and Advertisement ----

// A router's answer to a Router Solicitation (RFC 4861 §6.2.6): a Router Advertisement to all nodes
// from its link-local address with hop limit 255, carrying its link-layer address, the link's MTU,
// a prefix for autonomous configuration (RFC 4862) and a DNS server (RFC 8106). It joins the
// all-routers group itself: the kernel joins it only when forwarding.
const RA_RESPONDER = `
import socket, struct, sys, ipaddress
dev, mac, prefix, mtu, dns = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), sys.argv[3], int(sys.argv[4]), sys.argv[5]
idx = socket.if_nametoindex(dev)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, 'ff02::2') + struct.pack('@I', idx))
# Other configuration and a high default router preference; lifetimes of 30 min, 30 s, 1 s.
ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0x48, 1800, 30000, 1000)
ra += struct.pack('!BB', 1, 1) + mac
ra += struct.pack('!BBHI', 5, 1, 0, mtu)
ra += struct.pack('!BBBBIII', 3, 4, 64, 0xc0, 86400, 14400, 0) + ipaddress.IPv6Address(prefix).packed
ra += struct.pack('!BBHI', 25, 3, 0, 600) + ipaddress.IPv6Address(dns).packed
print('ready', flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if q and q[0] == 133:
        s.sendto(ra, ('ff02::1', 0, 0, idx))
`;

test('the kernel\'s Router Solicitation, a Router Advertisement, and the address and duplicate address detection that follow read as tshark reads them', {
  skip: needs('ip', 'tcpdump', 'tshark', 'python3'), timeout: 90_000,
}, async (t) => {
  const routerMac = '02:00:5e:77:02:01', hostMac = '02:00:5e:77:02:02';
  const pair = pairNamed(`${tag}r`), { a: router, b: host, devA, devB } = pair;
  let responder: ChildProcess | null = null;
  let td: Tcpdump | null = null;
  try {
    makePair(pair, routerMac, hostMac);
    // The router answers from its link-local address at once (no duplicate address detection of its
    // own) and takes no advertisements; the host is one (no forwarding), takes them, asks three
    // times at most and forms addresses from its MAC (EUI-64), so the address to expect is known.
    ipv6Conf(router, devA, 'accept_dad=0', 'accept_ra=0');
    ipv6Conf(host, devB, 'forwarding=0', 'accept_ra=1', 'router_solicitations=3', 'addr_gen_mode=0', 'accept_dad=1');
    ip('-n', router, 'link', 'set', devA, 'up');
    const pcap = path.join(dir, 'router-discovery.pcap');
    td = await startTcpdump(pcap, '', ['-i', devA], ['ip', 'netns', 'exec', router]);
    responder = await startPython(router, RA_RESPONDER, [devA, routerMac, 'fd77:2::', '1400', 'fd77:2::53']);
    // The link comes up: the host checks its link-local address, then solicits a router.
    ip('-n', host, 'link', 'set', devB, 'up');
    const expected = 'fd77:2::5eff:fe77:202';
    let addrs = '';
    for (const deadline = Date.now() + 20_000; ; await sleep(200)) {
      addrs = inNs(host, 'ip', ['-6', 'addr', 'show', 'dev', devB]).stdout;
      if (addrs.includes(`${expected}/64`) && !addrs.includes('tentative')) break;
      assert.ok(Date.now() < deadline, `no address from the advertised prefix: ${addrs}`);
    }
    // What the host made of the advertisement: the address (preferred for 4 h, valid for a day), the
    // on-link prefix, and a default route through the router with the advertised MTU.
    assert.match(addrs, /inet6 fd77:2::5eff:fe77:202\/64 scope global dynamic/);
    const routes = inNs(host, 'ip', ['-6', 'route', 'show', 'dev', devB]).stdout;
    assert.match(routes, /fd77:2::\/64 proto kernel/);
    assert.match(routes, /default via fe80::5eff:fe77:201 proto ra .*mtu 1400/);
    await sleep(300);
    assert.equal(await td.stop(200), 0, 'tcpdump dropped packets');
    td = null;
    recordings.set('router-discovery', pcap);

    const { frames, want, diffs } = compareWithTshark(pcap);
    const info = want.map((row) => row[1]);
    const reports = info.filter((i) => i.startsWith('Multicast Listener Report Message v2')).length;
    const solicitations = info.filter((i) => i.startsWith('Neighbor Solicitation')).length;
    t.diagnostic(`${frames} frames compared (a solicitation, an advertisement, ${solicitations} neighbor solicitations, ${reports} listener reports), ${ICMPV6_FIELDS.length} fields each`);
    assert.ok(info.includes(`Router Solicitation from ${hostMac}`), 'the kernel solicited');
    assert.ok(info.includes(`Router Advertisement from ${routerMac}`), 'the advertisement was recorded');
    assert.ok(info.includes('Neighbor Solicitation for fe80::5eff:fe77:202'), 'duplicate address detection of the link-local address');
    assert.ok(info.includes(`Neighbor Solicitation for ${expected}`), 'duplicate address detection of the address from the prefix');
    assert.ok(info.some((i) => i.startsWith('Multicast Listener Report Message v2')), 'the groups joined were reported');
    assert.deepEqual(diffs, []);
  } finally {
    await stopProcess(td?.proc ?? null);
    await stopProcess(responder);
    deleteNamespaces(router, host);
  }
});

// ---- 3. Negated and combined protocol filters ----

/** A datagram to a port nobody listens on, and a connection to one: the peer answers with an ICMP error and a reset. */
const CLOSED_PORTS = `
import socket, sys
for family, host in [(socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])]:
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.sendto(b'anyone there?', (host, 9))
    u.close()
    c = socket.socket(family, socket.SOCK_STREAM)
    c.settimeout(2)
    try:
        c.connect((host, 9))
    except ConnectionRefusedError:
        pass
    c.close()
print('ready', flush=True)
`;

const MIXED_FIELDS = fieldsFor(['arp', 'icmp', 'icmpv6', 'dns']).names;

const FILTERS = [
  '!(arp or dns or icmp)', 'not icmpv6', '!dns && udp', 'icmp || icmpv6', 'arp.opcode == 1', 'icmp.type == 3', 'icmpv6.type == 133',
  // and a few beside them on the same frames
  '!(icmpv6 or arp)', 'not (tcp or udp)', 'icmpv6 && !(icmpv6.type == 143)', 'icmpv6.type == 134 || icmpv6.type == 135', '!icmpv6.ni.qtype',
];

test('negated and combined protocol filters select the frames tshark selects on recorded mixed traffic and the ICMPv6 recordings', {
  skip: needs('ip', 'tcpdump', 'tshark', 'ping', 'python3', 'dnsmasq', 'dig', 'ss', 'mergecap'), timeout: 120_000,
}, async (t) => {
  const pair = pairNamed(`${tag}m`), { a, b, devA, devB } = pair;
  let dnsmasq: ChildProcess | null = null;
  let td: Tcpdump | null = null;
  try {
    makePair(pair, '02:00:5e:77:03:01', '02:00:5e:77:03:02');
    ip('-n', a, 'addr', 'add', '10.77.3.1/24', 'dev', devA);
    ip('-n', b, 'addr', 'add', '10.77.3.2/24', 'dev', devB);
    ip('-n', a, 'addr', 'add', 'fd77:3::1/64', 'dev', devA, 'nodad');
    ip('-n', b, 'addr', 'add', 'fd77:3::2/64', 'dev', devB, 'nodad');
    ip('-n', a, 'link', 'set', devA, 'up');
    ip('-n', b, 'link', 'set', devB, 'up');
    dnsmasq = spawn('ip', ['netns', 'exec', b, 'dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--port=53',
      '--listen-address=10.77.3.2', '--bind-interfaces', '--local=/example.test/', '--address=/wild.test/10.1.2.3',
      '--host-record=host.example.test,10.1.2.4,fd00::4', `--pid-file=${path.join(dir, 'dnsmasq.pid')}`], { stdio: 'ignore' });
    // dnsmasq is ready when it listens on the address (asking it would put a query before the recording).
    for (const deadline = Date.now() + 10_000; !inNs(b, 'ss', ['-Hlun', 'sport', '=', ':53']).stdout.includes('10.77.3.2'); await sleep(50)) {
      assert.ok(Date.now() < deadline, 'dnsmasq did not start listening');
    }
    const pcap = path.join(dir, 'mixed.pcap');
    td = await startTcpdump(pcap, '', ['-i', devA], ['ip', 'netns', 'exec', a]);
    // ping first: the ARP request and reply, and the Neighbor Solicitation and Advertisement, come before it.
    assert.equal(inNs(a, 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.77.3.2']).status, 0, 'ping');
    assert.equal(inNs(a, 'ping', ['-6', '-c', '2', '-i', '0.2', '-W', '1', 'fd77:3::2']).status, 0, 'ping -6');
    const dig = (...args: string[]): string => inNs(a, 'dig', ['@10.77.3.2', '+time=2', '+tries=1', ...args]).stdout;
    assert.match(dig('+short', 'A', 'wild.test'), /10\.1\.2\.3/);
    assert.match(dig('+short', 'AAAA', 'host.example.test'), /fd00::4/);
    assert.match(dig('A', 'missing.example.test'), /status: NXDOMAIN/);
    assert.match(dig('+tcp', '+short', 'A', 'host.example.test'), /10\.1\.2\.4/);
    assert.equal(inNs(a, 'python3', ['-c', CLOSED_PORTS, '10.77.3.2', 'fd77:3::2']).status, 0, 'closed ports');
    await sleep(300);
    assert.equal(await td.stop(200), 0, 'tcpdump dropped packets');
    td = null;

    const { frames, want, diffs } = compareWithTshark(pcap, MIXED_FIELDS);
    const protocols = new Set(want.map((row) => row[0]));
    t.diagnostic(`mixed traffic: ${frames} frames (${[...protocols].join(', ')}), ${MIXED_FIELDS.length} fields each (columns, ARP, ICMP, ICMPv6, DNS)`);
    for (const p of ['ARP', 'ICMP', 'ICMPv6', 'DNS', 'TCP']) assert.ok(protocols.has(p), `${p} was recorded`);
    assert.ok(want.some((row) => row[1].startsWith('Destination unreachable (Port unreachable)')), 'an ICMP port unreachable');
    assert.ok(want.some((row) => row[1].startsWith('Destination Unreachable (Port unreachable)')), 'an ICMPv6 port unreachable');
    assert.deepEqual(diffs, []);

    assert.deepEqual([...recordings.keys()], ['nodeinfo', 'router-discovery'], 'the ICMPv6 recordings of the tests before');
    const files = [pcap, ...recordings.values()];
    const total = files.reduce((n, f) => n + countFrames(f), 0);
    // Each filter keeps some frames and drops others, so agreeing says something.
    const selected = await withConcatenated(files, ({ file }) => FILTERS.map((filter) =>
      execFileSync('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n').filter(Boolean).length));
    t.diagnostic(`${FILTERS.length} filters over ${total} frames of ${files.length} recordings; tshark selects ${FILTERS.map((f, i) => `${selected[i]} by '${f}'`).join(', ')}`);
    for (let i = 0; i < FILTERS.length; i++) assert.ok(selected[i] > 0 && selected[i] < total, `'${FILTERS[i]}' selects ${selected[i]} of ${total}`);
    assert.deepEqual(await filterDisagreements(files, FILTERS), []);
  } finally {
    await stopProcess(td?.proc ?? null);
    await stopProcess(dnsmasq);
    deleteNamespaces(a, b);
  }
});
