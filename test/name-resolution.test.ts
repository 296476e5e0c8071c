// Name resolution (-N m, n, t; -H): tshark 4.0 reads the same corpus captures with the same flags
// in each test and says what the columns, the *_resolved / *_host fields and -V must show. tshark's
// -N n reads no /etc/hosts of its own (it asks the system's resolver), so it is handed the first
// name of each address there with -H, as the resolver would answer. And names never cost a DNS
// query: tcpwatch runs in a fresh network namespace whose every route leads to a watched loopback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, CLI } from './helpers/corpus';
import { runCli, runCommand, inParallel } from './helpers/parallel';
import { withConcatenated } from './helpers/concatenated';
import { have, isRoot } from './helpers/system';

const haveTshark = spawnSync('tshark', ['-v']).status === 0;
const corpus = corpusDir();
const skip = !haveTshark ? 'tshark is not installed' : corpus === null ? NO_CORPUS_REASON : false;
const at = (rel: string): string => path.join(corpus!, rel);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-names-'));
/** /etc/hosts as the system's resolver answers it: the first name of each address. */
const SYSTEM_HOSTS = path.join(tmp, 'system-hosts');
{
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const line of fs.readFileSync('/etc/hosts', 'latin1').split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    if (words.length < 2 || seen.has(words[0])) continue;
    seen.add(words[0]);
    lines.push(`${words[0]} ${words[1]}`);
  }
  fs.writeFileSync(SYSTEM_HOSTS, lines.join('\n') + '\n');
}

// Captures with Ethernet vendors and well-known multicast addresses, DNS answers, loopback HTTP,
// IPv6 neighbour discovery, tunnels, cooked captures and ports of every kind.
const CAPTURES = [
  'valid/tcpdump-protocols/dns_udp.pcap', 'valid/tcpdump-protocols/edns-opts.pcap', 'valid/tcpdump-protocols/icmpv6.pcap',
  'valid/tcpdump-protocols/vxlan.pcap', 'valid/tcpdump-protocols/ntp.pcap', 'valid/tcpdump-protocols/dhcp-rfc4388.pcap',
  'valid/tcpdump/dns_tcp.pcap', 'valid/tcpdump/ipv4_tcp_http_xml.pcap', 'valid/tcpdump/tftp.pcap',
  'valid/ja4/tls3.pcapng', 'valid/ja4/v6.pcap', 'valid/ja4/http1-with-cookies.pcapng', 'valid/local/any-sll.pcap',
];
const FIELDS = ['_ws.col.Source', '_ws.col.Destination', '_ws.col.Info', 'eth.src_resolved', 'eth.dst_resolved', 'eth.addr_resolved',
  'ip.src_host', 'ip.dst_host', 'ip.host', 'ipv6.src_host', 'ipv6.dst_host', 'ipv6.host'];
const fieldArgs = ['-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];

const lines = (s: string): string[] => s.split('\n');

/**
 * Every frame whose fields agree with tshark's without names (tcpwatch's default against tshark -n)
 * agrees with names on too; returns [frames compared, frames whose text the names changed]. The
 * captures are read as one concatenation, so each side starts once per setting, not once per capture.
 */
async function agreeWithNames(ours: string[], theirs: string[]): Promise<[number, number]> {
  let compared = 0, renamed = 0;
  await withConcatenated(CAPTURES.map(at), async ({ file, where }) => {
    const runs = await Promise.all([
      runCli(['-r', file, ...fieldArgs]), runCommand('tshark', ['-n', '-r', file, ...fieldArgs]),
      runCli(['-r', file, ...ours, ...fieldArgs]), runCommand('tshark', ['-r', file, ...theirs, ...fieldArgs]),
    ]);
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    const [a0, b0, a1, b1] = runs.map((r) => lines(r.stdout));
    assert.equal(a1.length, b1.length, 'frames');
    for (let i = 0; i < b1.length; i++) {
      if (a0[i] !== b0[i]) continue;
      compared++;
      if (b1[i] !== b0[i]) renamed++;
      assert.equal(a1[i], b1[i], `${where(i + 1)} with ${ours.join(' ')}`);
    }
  });
  return [compared, renamed];
}

test('-N mnt: columns and resolved fields agree with tshark -N mdnt on the corpus', { skip, timeout: 900_000 }, async () => {
  const [compared, renamed] = await agreeWithNames(['-N', 'mnt'], ['-N', 'mdnt', '-H', SYSTEM_HOSTS]);
  console.log(`# -N mnt: ${compared} frames compared, all agree with tshark; names changed ${renamed} of them`);
  assert.ok(compared > 1000 && renamed > compared / 2, `${compared} compared, ${renamed} renamed`);
});

test('-N m, -N n and -N t each alone agree with tshark', { skip, timeout: 900_000 }, async () => {
  for (const [ours, theirs] of [[['-N', 'm'], ['-N', 'm']], [['-N', 'n'], ['-N', 'dn', '-H', SYSTEM_HOSTS]], [['-N', 't'], ['-N', 't']]]) {
    const [compared, renamed] = await agreeWithNames(ours, theirs);
    console.log(`# ${ours.join(' ')}: ${compared} frames agree with tshark ${theirs.join(' ')}; names changed ${renamed}`);
    assert.ok(renamed > 0, `${ours.join(' ')} changed nothing`);
  }
});

test('a DNS answer names its addresses from its own frame\'s columns on, the IP header\'s fields from the next frame on', { skip }, async () => {
  const rel = 'valid/tcpdump-protocols/dns_udp.pcap';
  const args = ['-r', at(rel), '-T', 'fields', '-e', '_ws.col.Source', '-e', 'ip.src_host'];
  const [ours, theirs] = await Promise.all([runCli(['-N', 'n', ...args]), runCommand('tshark', ['-N', 'dn', '-H', SYSTEM_HOSTS, ...args])]);
  assert.equal(ours.stdout, theirs.stdout);
  // frame 2 comes from the server its own answer names
  assert.equal(lines(ours.stdout)[1], 'nic.sandelman.ca\t209.87.249.18');
});

test('-H FILE names hosts in every view as tshark -H does', { skip }, async () => {
  const hosts = path.join(tmp, 'hosts');
  fs.writeFileSync(hosts, '# two of the capture\'s hosts\n10.21.11.94 server94.example\n10.114.101.120\tclient120.example other\n');
  const rel = 'valid/tcpdump/ipv4_tcp_http_xml.pcap';
  const [ours, theirs] = await Promise.all([
    runCli(['-N', 'n', '-H', hosts, '-r', at(rel), ...fieldArgs]), runCommand('tshark', ['-N', 'n', '-H', hosts, '-r', at(rel), ...fieldArgs]),
  ]);
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(ours.stdout, theirs.stdout);
  assert.match(ours.stdout, /^server94\.example\tclient120\.example\t/);
});

test('-N m names MAC addresses from the ethers files as tshark does: the personal one, then the system\'s, before vendors, after well-known addresses', { skip, timeout: 120_000 }, async () => {
  const home = path.join(tmp, 'ethers-home');
  const xdg = path.join(home, 'xdg');
  fs.mkdirSync(path.join(xdg, 'wireshark'), { recursive: true });
  // A vendor's address (3Com's), broadcast (wka's), the two hosts of dns_tcp.pcap, a line repeated
  // with another name, and lines Wireshark passes over.
  const ethers = '# ethers for the test\n00:01:02:03:04:05 dhcp-client\nff:ff:ff:ff:ff:ff everyone\n00-11-22-33-44-55\tdns-client # trailing comment\n' +
    '00.11.22.33.44.66 dns-server\n00:11:22:33:44:55 second-name\n00:11:22 a-vendor-prefix\nnot-an-address name\n';
  fs.writeFileSync(path.join(xdg, 'wireshark', 'ethers'), ethers);
  const ethFields = ['-T', 'fields', '-e', 'eth.src_resolved', '-e', 'eth.dst_resolved', '-e', 'eth.addr_resolved', '-e', '_ws.col.Info'];
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
    });
  const personal = { HOME: home, XDG_CONFIG_HOME: xdg };
  const files = ['valid/tcpdump-protocols/dhcp-option-33.pcap', 'valid/tcpdump/dns_tcp.pcap'];
  const runs = await Promise.all(files.map((rel) => {
    const args = ['-N', 'm', '-r', at(rel), ...ethFields];
    return Promise.all([run(process.execPath, [CLI, ...args], personal), run('tshark', args, personal)]);
  }));
  runs.forEach(([ours, theirs], k) => {
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout, files[k]);
  });
  assert.match(runs[0][0].stdout, /^dhcp-client\tBroadcast\t/m);
  // The system's file (here named by TCPWATCH_SYSTEM_ETHERS, /etc/ethers otherwise) reads as the
  // personal one does when that is absent, and comes after it.
  const bare = path.join(tmp, 'ethers-bare');
  fs.mkdirSync(bare, { recursive: true });
  const system = path.join(tmp, 'system-ethers');
  fs.writeFileSync(system, ethers);
  const args = ['-N', 'm', '-r', at(files[1]), ...ethFields];
  const tsharkPersonal = runs[1][1];
  const fromSystem = await run(process.execPath, [CLI, ...args], { HOME: bare, XDG_CONFIG_HOME: bare, TCPWATCH_SYSTEM_ETHERS: system });
  assert.equal(fromSystem.stdout, tsharkPersonal.stdout);
  fs.writeFileSync(system, '00:11:22:33:44:55 from-the-system\n00:11:22:33:44:66 server-from-the-system\n');
  const both = await run(process.execPath, [CLI, ...args], { ...personal, TCPWATCH_SYSTEM_ETHERS: system });
  assert.equal(both.stdout, tsharkPersonal.stdout);
  assert.match(both.stdout, /^dns-client\tdns-server\t/);
});

// Vendors manuf names by a longer mask than 24 bits: two namespaces joined by a veth pair whose ends
// the test gives addresses inside a /36 range (70:B3:D5:96:C0:00/36, a short name with a UTF-8
// character whose second byte is 0xA0, a space to Latin-1 readers) and a /28 one (00:55:DA:10:00:00/28),
// both under OUIs manuf also names at 24 bits: the longer match must win, as in tshark.
const canVeth = isRoot && ['ip', 'tcpdump', 'ping'].every(have);
test('-N m names addresses in manuf\'s /28 and /36 ranges by the longest match, and their OUIs, as tshark does', {
  skip: !haveTshark ? 'tshark is not installed' : !canVeth ? 'needs root, ip, tcpdump and ping' : false, timeout: 60_000,
}, async () => {
  const tag = `tw${process.pid % 100000}m`;
  const a = `${tag}a`, b = `${tag}b`;
  const ip = (...args: string[]): void => {
    const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  const pcap = path.join(tmp, 'long-masks.pcap');
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', `${a}0`, 'netns', a, 'address', '70:b3:d5:96:c0:01', 'type', 'veth', 'peer', 'name', `${b}0`, 'netns', b, 'address', '00:55:da:1a:bc:de');
    ip('-n', a, 'addr', 'add', '10.78.0.1/24', 'dev', `${a}0`);
    ip('-n', b, 'addr', 'add', '10.78.0.2/24', 'dev', `${b}0`);
    ip('-n', a, 'link', 'set', `${a}0`, 'up');
    ip('-n', b, 'link', 'set', `${b}0`, 'up');
    const td = spawn('ip', ['netns', 'exec', a, 'tcpdump', '-i', `${a}0`, '-n', '-U', '--immediate-mode', '-w', pcap, 'arp or icmp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    td.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<void>((resolve) => td.once('close', () => resolve()));
    try {
      for (let waited = 0; !stderr.includes('listening on') && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.match(stderr, /listening on/);
      spawnSync('ip', ['netns', 'exec', a, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '10.78.0.2'], { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      td.kill('SIGINT');
      await closed;
    }
  } finally {
    spawnSync('ip', ['netns', 'del', a], { timeout: 10_000 });
    spawnSync('ip', ['netns', 'del', b], { timeout: 10_000 });
  }
  const fields = ['-T', 'fields', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', 'eth.src_resolved', '-e', 'eth.dst_resolved',
    '-e', 'eth.addr_resolved', '-e', 'eth.src.oui_resolved', '-e', 'eth.dst.oui_resolved', '-e', 'arp.src.hw_mac'];
  const [ours, theirs, oursTree, theirsTree] = await Promise.all([
    runCli(['-N', 'm', '-r', pcap, ...fields]), runCommand('tshark', ['-N', 'm', '-r', pcap, ...fields]),
    runCli(['-N', 'm', '-V', '-r', pcap]), runCommand('tshark', ['-N', 'm', '-V', '-r', pcap]),
  ]);
  assert.equal(ours.status, 0, ours.stderr);
  assert.ok(lines(ours.stdout).length >= 4, 'ARP and ICMP frames');
  assert.equal(ours.stdout, theirs.stdout);
  assert.match(ours.stdout, /WebleS\u00e0r_01/);
  assert.match(ours.stdout, /KoolPOS_0a:bc:de/);
  const ethernet = (tree: string): string => tree.split('\n').filter((l) => /^Ethernet II|^    (Destination|Source):/.test(l)).join('\n');
  assert.notEqual(ethernet(oursTree.stdout), '');
  assert.equal(ethernet(oursTree.stdout), ethernet(theirsTree.stdout));
});

// Captures whose -V is tshark -n's byte for byte without names (Ethernet, IPv4, IPv6, UDP, DNS, VXLAN).
const DETAILED = ['valid/tcpdump-protocols/dns-uri.pcap', 'valid/tcpdump-protocols/dns_udp.pcap', 'valid/tcpdump-protocols/icmpv6-ns-nonce.pcap',
  'valid/tcpdump-protocols/vxlan.pcap', 'valid/tcpdump/LINKTYPE_IPV4.pcap', 'valid/tcpdump/bigtcp-ipv6-hbh.pcap'];

test('-V with -N mnt is tshark\'s -V with -N mdnt byte for byte', { skip, timeout: 600_000 }, async () => {
  await inParallel(DETAILED, (rel) => Promise.all([
    runCli(['-V', '-r', at(rel)]), runCommand('tshark', ['-n', '-V', '-r', at(rel)]),
    runCli(['-V', '-N', 'mnt', '-r', at(rel)]), runCommand('tshark', ['-V', '-N', 'mdnt', '-H', SYSTEM_HOSTS, '-r', at(rel)]),
  ]), (rel, [plain, tsharkPlain, named, tsharkNamed]) => {
    assert.equal(plain.stdout, tsharkPlain.stdout, `${rel}: -V differs from tshark even without names`);
    assert.notEqual(named.stdout, plain.stdout, `${rel}: names changed nothing`);
    assert.equal(named.stdout, tsharkNamed.stdout, `${rel} -V -N mnt`);
  });
});

test('bad -N and -H: one line and exit status 2', { skip: corpus === null ? NO_CORPUS_REASON : false }, async () => {
  const file = at('valid/tcpdump-protocols/dns_udp.pcap');
  for (const args of [['-N', 'x'], ['-N', 'N'], ['-N', 'mv'], ['-H', file], ['-N', 'n', '-H', path.join(tmp, 'no-such-hosts')]]) {
    const r = await runCli(['-r', file, ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(lines(r.stderr.trimEnd()).length, 1, r.stderr);
    assert.match(r.stderr, /^tcpwatch: -[NH]/);
  }
});

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0 && spawnSync('tcpdump', ['--version']).status === 0;

test('names never cost a DNS query: nothing leaves for port 53 while every kind resolves', { skip: corpus === null ? NO_CORPUS_REASON : !canUnshare ? 'needs root, unshare and tcpdump' : false, timeout: 300_000 }, async () => {
  // A fresh network namespace: loopback up and the default route through it, so that a query to
  // /etc/resolv.conf's server, or to any address, would pass where tcpdump is listening.
  const seen = path.join(tmp, 'port53.pcap');
  const names = path.join(tmp, 'named.txt');
  const captures = CAPTURES.map(at).join(' ');
  const script = `set -e
ip link set lo up
ip route add default dev lo
ip -6 route add default dev lo 2>/dev/null || true
tcpdump -i lo -U -w ${seen} 'port 53 or port 5353 or port 5355' 2>/dev/null & DUMP=$!
for i in $(seq 1 100); do [ -s ${seen} ] && break; sleep 0.1; done
sleep 0.5
for f in ${captures}; do ${process.execPath} ${CLI} -N mnt -r $f -V >> ${names}; done
sleep 0.5
kill $DUMP; wait $DUMP || true`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(names, 'utf8'), /Src: nic\.sandelman\.ca \(209\.87\.249\.18\)/);
  const dump = spawnSync('tcpdump', ['-r', seen, '-n'], { encoding: 'utf8' });
  assert.equal(dump.status, 0, dump.stderr);
  assert.equal(dump.stdout, '', 'tcpwatch sent DNS queries');
});
