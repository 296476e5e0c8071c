// The rest of tshark's command line against tshark 4.0 itself, on captures of the corpus: -z
// statistics (conversations, endpoints, protocol hierarchy, I/O intervals, followed streams)
// byte for byte, -G fields with tshark's type names, and each -t / -u time format. tshark runs
// with -n: tcpwatch never resolves names (a MAC's vendor, a port's service).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { corpusDir, CLI, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : have('tshark') ? false : 'needs tshark';
const file = (rel: string): string => path.join(corpus ?? '', 'valid', rel);

function tshark(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync('tshark', args[0] === '-G' ? args : ['-n', ...args], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'], env });
}
function tcpwatch(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env });
}
const zArgs = (specs: string[]): string[] => specs.flatMap((z) => ['-z', z]);

const TABLES = ['eth', 'ip', 'ipv6', 'tcp', 'udp'].flatMap((k) => [`conv,${k}`, `endpoints,${k}`]);

// Each run prints several statistics at once, the last given first as tshark orders them. The
// captures: Ethernet, loopback and cooked links, IPv4 and IPv6, TCP streams and UDP, tunnels (GRE,
// Geneve), ICMP errors that quote packets, a megabyte of TLS, nine months of ICMPv6, an empty file.
const RUNS: [string, string[]][] = [
  ['ja4/http1-with-cookies.pcapng', [...TABLES, 'follow,tcp,ascii,0', 'follow,tcp,hex,0', 'follow,tcp,raw,0', 'io,stat,0', 'io,stat,1', 'io,stat,0.25,tcp,udp']],
  ['ja4/tls3.pcapng', ['conv,tcp', 'endpoints,ip', 'io,stat,0.01', 'io,stat,2.5,,ip.addr==192.168.1.169 && tcp.port==443', 'follow,tcp,raw,3', 'follow,tcp,hex,7']],
  ['ja4/tcpdump-geneve.pcap', [...TABLES, 'io,phs']],
  ['ja4/v6.pcap', TABLES],
  ['ja4/gre-sample.pcap', TABLES],
  ['local/any-sll.pcap', TABLES],
  // a capture nine months long: coarse intervals only (at 0.01 s it would be millions of rows)
  ['tcpdump-protocols/icmpv6.pcap', [...TABLES, 'io,phs', 'io,stat,0', 'io,stat,100', 'io,stat,86400,icmpv6']],
  ['tcpdump-protocols/dns_udp.pcap', [...TABLES, 'io,phs', 'follow,udp,hex,0', 'follow,udp,ascii,1', 'follow,udp,raw,2']],
  ['ja4/tls12.pcap', ['io,phs', 'follow,tcp,hex,0', 'follow,tcp,ascii,0']],
  ['tcpdump/dns_tcp.pcap', ['io,phs', 'follow,tcp,raw,1', 'follow,tcp,hex,0']],
  ['local/ipv6-tls13.pcap', ['conv,ipv6', 'follow,tcp,ascii,0', 'follow,tcp,hex,0']],
  ['tcpdump/empty.pcapng', [...TABLES, 'io,phs', 'io,stat,1']],
];

test('-z conv, endpoints, io,phs, io,stat and follow print what tshark prints', { skip }, () => {
  for (const [f, specs] of RUNS) {
    const args = ['-r', file(f), '-q', ...zArgs(specs)];
    assert.equal(tcpwatch(args), tshark(args), `${f}: ${specs.join(' ')}`);
  }
});

test('statistics come after the packets and count every frame read, not only those -Y shows', { skip }, () => {
  const f = file('ja4/http1-with-cookies.pcapng');
  const stats = tshark(['-r', f, '-q', '-z', 'conv,tcp', '-z', 'io,stat,0']);
  const ours = tcpwatch(['-r', f, '-Y', 'http', '-z', 'conv,tcp', '-z', 'io,stat,0']);
  assert.ok(ours.endsWith(stats), ours);
  const packets = ours.slice(0, ours.length - stats.length).trimEnd().split('\n');
  assert.deepEqual(packets.map((l) => l.trim().split(/\s+/)[0]), ['5', '9']);
  // -c limits what is read, and so what is counted
  const two = ['-r', f, '-c', '3', '-q', '-z', 'conv,ip'];
  assert.equal(tcpwatch(two), tshark(two));
});

test('-G fields lists every registered field with tshark\'s type name, and -G values their value names', { skip }, () => {
  const theirs = new Map<string, string>();
  for (const line of tshark(['-G', 'fields']).split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F') theirs.set(c[2], c[3]);
    else if (c[0] === 'P') theirs.set(c[2], 'FT_PROTOCOL');
  }
  const lines = tcpwatch(['-G', 'fields']).split('\n');
  assert.equal(lines.pop(), '');
  const names = new Set<string>();
  const wrong: string[] = [];
  let compared = 0;
  for (const line of lines) {
    const c = line.split('\t');
    assert.ok((c[0] === 'P' && c.length === 3) || (c[0] === 'F' && c.length === 8), line);
    names.add(c[2]);
    const type = c[0] === 'P' ? 'FT_PROTOCOL' : c[3];
    const t = theirs.get(c[2]);
    if (t === undefined) continue;
    compared++;
    if (t !== type) wrong.push(`${c[2]}: tshark ${t}, tcpwatch ${type}`);
  }
  assert.deepEqual(wrong, []);
  assert.ok(compared >= 650, `fields compared with tshark: ${compared}`);
  for (const n of ['tcp.srcport', 'ip.src', 'ipv6.dst', 'eth.src', 'tcp.analysis.acks_frame', 'frame.time_epoch', '_ws.col.Time']) assert.ok(names.has(n), n);
  // -G protocols: long name, short name, filter name, each line as tshark writes it
  const protocols = new Set(tshark(['-G', 'protocols']).split('\n'));
  const ours = tcpwatch(['-G', 'protocols']).trimEnd().split('\n');
  assert.ok(ours.length >= 20 && ours.includes('Transmission Control Protocol\tTCP\ttcp'));
  assert.deepEqual(ours.filter((l) => !protocols.has(l)), []);
  const values = tcpwatch(['-G', 'values']);
  assert.match(values, /^V\teth\.type\t0x800\tIPv4$/m);
  // every flag's true/false text is tshark's
  const theirFlags = new Set(tshark(['-G', 'values']).split('\n').filter((l) => l.startsWith('T\t')));
  const ourFlags = values.split('\n').filter((l) => l.startsWith('T\t'));
  assert.ok(ourFlags.length >= 3, `flags with texts: ${ourFlags.length}`);
  assert.deepEqual(ourFlags.filter((l) => !theirFlags.has(l)), []);
});

test('-t and -u shape the Time column and _ws.col.Time as tshark\'s do, local time included', { skip }, () => {
  const env = { ...process.env, TZ: 'America/New_York' };
  const types = ['a', 'ad', 'adoy', 'd', 'dd', 'e', 'r', 'u', 'ud', 'udoy'];
  // microseconds over nine months; nanoseconds
  for (const [f, list] of [['tcpdump-protocols/icmpv6.pcap', types], ['local/ipv6-tls13-nsec.pcap', ['a']]] as const) {
    for (const t of list) {
      for (const u of f.includes('icmpv6') && (t === 'r' || t === 'dd') ? ['s', 'hms'] : ['s']) {
        // -Y leaves gaps, so that -t dd (since the previous displayed packet) differs from -t d
        const args = ['-r', file(f), '-t', t, '-u', u, '-Y', 'frame.number != 2 && frame.number != 5', '-T', 'fields', '-e', '_ws.col.Time', '-e', 'frame.number'];
        assert.equal(tcpwatch(args, env), tshark(args, env), `${f} -t ${t} -u ${u}`);
      }
    }
  }
  // conversations start at a time of day, a date, or epoch seconds under -t, as tshark's tables do
  for (const t of ['udoy', 'e']) {
    const args = ['-r', file('tcpdump-protocols/icmpv6.pcap'), '-q', '-t', t, '-z', 'conv,eth', '-z', 'conv,ipv6'];
    assert.equal(tcpwatch(args, env), tshark(args, env), `-t ${t} -z conv`);
  }
  // the summary line: number, then the same text right-aligned in at least 10 places, in both
  for (const [t, u] of [['ad', 's'], ['d', 'hms']]) {
    const f = file('tcpdump-protocols/icmpv6.pcap');
    const times = tshark(['-r', f, '-t', t, '-u', u, '-T', 'fields', '-e', 'frame.number', '-e', '_ws.col.Time'], env).trimEnd().split('\n');
    const prefixes = times.map((l) => { const [n, time] = l.split('\t'); return `${n.padStart(5)} ${time.padStart(10)} `; });
    for (const out of [tshark(['-r', f, '-t', t, '-u', u], env), tcpwatch(['-r', f, '-t', t, '-u', u], env)]) {
      const lines = out.trimEnd().split('\n');
      assert.equal(lines.length, prefixes.length);
      lines.forEach((l, i) => assert.ok(l.startsWith(prefixes[i]), `-t ${t} -u ${u}: ${l}`));
    }
  }
});

test('-T ek: an index line and a document per packet, with tshark\'s layers, keys and values', { skip }, () => {
  let same = 0, differ = 0, ourKeys = 0;
  const differing = new Set<string>();
  for (const f of ['tcpdump/dns_tcp.pcap', 'ja4/tls12.pcap', 'ja4/http1-with-cookies.pcapng', 'tcpdump-protocols/dns_udp.pcap']) {
    const args = ['-r', file(f), '-T', 'ek'];
    const theirs = tshark(args).trimEnd().split('\n');
    const ours = tcpwatch(args).trimEnd().split('\n');
    assert.equal(ours.length, theirs.length, f);
    // tshark writes "</" as "<\/" (so that a document can sit in an HTML page), and so does tcpwatch
    assert.equal(ours.some((l) => l.includes('</')), theirs.some((l) => l.includes('</')), `${f}: "</" written raw`);
    assert.equal(ours.some((l) => l.includes('<\\/')), theirs.some((l) => l.includes('<\\/')), `${f}: "<\\/"`);
    for (let i = 0; i < ours.length; i += 2) {
      assert.deepEqual(JSON.parse(ours[i]), JSON.parse(theirs[i]), `${f}: index line ${i}`);
      const a = JSON.parse(theirs[i + 1]), b = JSON.parse(ours[i + 1]);
      assert.equal(b.timestamp, a.timestamp);
      for (const [proto, layer] of Object.entries(b.layers as Record<string, unknown>)) {
        assert.ok(proto in a.layers, `${f}: tshark has no layer ${proto}`);
        // a field of a subtree that is no protocol (tcp_tcp_segment) is a layer of its own, a value
        if (layer === null || typeof layer !== 'object' || (Array.isArray(layer) && typeof layer[0] !== 'object')) {
          ourKeys++;
          if (JSON.stringify(a.layers[proto]) === JSON.stringify(layer)) same++;
          else { differ++; differing.add(proto); }
          continue;
        }
        const mine = (Array.isArray(layer) ? layer[0] : layer) as Record<string, unknown>;
        const t = a.layers[proto];
        const their = (Array.isArray(t) ? t[0] : t) as Record<string, unknown>;
        for (const [k, v] of Object.entries(mine)) {
          ourKeys++;
          assert.ok(k.startsWith(`${proto}_`), k);
          if (!(k in their)) continue;
          if (JSON.stringify(their[k]) === JSON.stringify(v)) same++;
          else { differ++; differing.add(k); }
        }
      }
    }
  }
  // the few that differ are the trees' own differences (frame.protocols without tshark's data-text-lines, DNS option bytes)
  assert.ok(same / (same + differ) >= 0.98, `ek values equal to tshark's: ${same} of ${same + differ} (${[...differing].join(' ')})`);
  assert.ok(ourKeys > 1500, `keys: ${ourKeys}`);
});

test('-T psml: the packet list as tshark writes it, and -l changes nothing but when output leaves', { skip }, () => {
  for (const f of ['tcpdump/dns_tcp.pcap', 'ja4/tls12.pcap', 'tcpdump-protocols/icmpv6.pcap', 'local/ipv6-tls13-nsec.pcap']) {
    const args = ['-r', file(f), '-T', 'psml'];
    // the creator line names the program
    const body = (s: string): string => s.split('\n').filter((_, i) => i !== 1).join('\n');
    const ours = tcpwatch(args);
    assert.equal(body(ours), body(tshark(args)), f);
    assert.match(ours.split('\n')[1], /^<psml version="0" creator="tcpwatch\/[\d.]+">$/);
    assert.equal(tcpwatch([...args, '-l']), ours);
  }
});

test('-z expert: each finding tcpwatch reports is one of tshark\'s rows, with the same count', { skip }, () => {
  let rows = 0;
  for (const f of ['ja4/tls3.pcapng', 'ja4/http1-with-cookies.pcapng', 'ja4/latest.pcapng']) {
    const args = ['-r', file(f), '-q', '-z', 'expert'];
    const theirs = new Set(tshark(args).split('\n'));
    const ours = tcpwatch(args).split('\n');
    for (const line of ours) {
      // section heads carry totals of findings tcpwatch may not make yet; rows must be tshark's
      if (!/^ +\d+ /.test(line)) continue;
      rows++;
      assert.ok(theirs.has(line), `${f}: ${line}`);
    }
  }
  assert.ok(rows >= 6, `rows: ${rows}`);
});

test('-F pcapng or pcap with -w chooses the file format whatever the name, and -c N stops after N packets', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-F-'));
  try {
    const src = file('ja4/tls12.pcap');
    // pcap's magic in microseconds or nanoseconds
    for (const [format, magic] of [['pcapng', /^0a0d0d0a$/], ['pcap', /^(d4c3b2a1|4d3cb2a1)$/]] as const) {
      const out = path.join(dir, `copy-${format}.cap`);
      tcpwatch(['-r', src, '-c', '5', '-w', out, '-F', format]);
      assert.match(fs.readFileSync(out).subarray(0, 4).toString('hex'), magic, format);
      assert.equal(tshark(['-r', out, '-T', 'fields', '-e', 'frame.len']), tshark(['-r', src, '-c', '5', '-T', 'fields', '-e', 'frame.len']));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-j and -J: protocols outside the list are {"filtered": name}; -j folds the listed ones\' subtrees, -J shows them', { skip }, () => {
  // every value tcpwatch shows is where tshark shows it, and every folded node is folded alike
  const compare = (theirs: unknown, ours: unknown, at: string, problems: string[]): void => {
    if (typeof ours !== 'object' || ours === null || Array.isArray(ours)) return;
    const o = ours as Record<string, unknown>;
    if ('filtered' in o || (typeof theirs === 'object' && theirs !== null && 'filtered' in theirs)) {
      if (JSON.stringify(theirs) !== JSON.stringify(o)) problems.push(`${at}: tshark ${JSON.stringify(theirs)?.slice(0, 80)}, tcpwatch ${JSON.stringify(o).slice(0, 80)}`);
      return;
    }
    for (const [k, v] of Object.entries(o)) if (typeof theirs === 'object' && theirs !== null && k in theirs) compare((theirs as Record<string, unknown>)[k], v, `${at}/${k}`, problems);
  };
  let folded = 0;
  for (const [f, opt, list] of [['tcpdump/dns_tcp.pcap', '-j', 'dns'], ['tcpdump/dns_tcp.pcap', '-J', 'ip tcp'], ['ja4/http1-with-cookies.pcapng', '-j', 'http frame']]) {
    const args = ['-r', file(f), '-T', 'json', opt, list];
    const layers = (s: string): unknown[] => (JSON.parse(s) as { _source: { layers: unknown } }[]).map((p) => p._source.layers);
    const theirs = layers(tshark(args)), ours = layers(tcpwatch(args));
    assert.equal(ours.length, theirs.length);
    const problems: string[] = [];
    ours.forEach((p, i) => compare(theirs[i], p, `${f} ${opt} "${list}" packet ${i + 1}`, problems));
    assert.deepEqual(problems, []);
    folded += JSON.stringify(ours).split('"filtered"').length - 1;
  }
  assert.ok(folded >= 50, `folded nodes: ${folded}`);
});

test('-2 knows what tshark\'s second pass knows: http.response_in and dns.response_in name the later frame; one pass names only earlier ones', { skip }, () => {
  const fields = ['-T', 'fields', '-e', 'frame.number', '-e', 'http.response_in', '-e', 'http.request_in', '-e', 'dns.response_in', '-e', 'dns.response_to'];
  const captures = ['ja4/http1-with-cookies.pcapng', 'tcpdump/dns_tcp.pcap', 'tcpdump-protocols/edns-opts.pcap'];
  const ours = new Map<string, string>();
  for (const f of captures) {
    for (const passes of [['-2'], []]) {
      const args = ['-r', file(f), ...passes, ...fields];
      ours.set(`${f} ${passes.join(' ')}`, tcpwatch(args));
      assert.equal(ours.get(`${f} ${passes.join(' ')}`), tshark(args), `${f} ${passes.join(' ')}`);
    }
  }
  // The forward references are there (the HTTP request in 5 answered in 9, the DNS query in 4 in 6), and only with -2.
  assert.match(ours.get(`${captures[0]} -2`)!, /^5\t9\t/m);
  assert.match(ours.get(`${captures[1]} -2`)!, /^4\t\t\t6\t$/m);
  assert.doesNotMatch(ours.get(`${captures[1]} `)!, /^4\t\t\t6/m);
  // With -R, they name the second pass's numbers.
  const kept = ['-r', file(captures[0]), '-2', '-R', 'http', '-T', 'fields', '-e', 'frame.number', '-e', 'http.response_in'];
  assert.equal(tcpwatch(kept), tshark(kept));
});

test('-2 -R: the frames the read filter keeps, numbered from 1, each as tshark\'s second pass shows it; -R alone and -2 live are refused as tshark refuses them', { skip }, () => {
  // retransmissions are known only from the frames before them, which the read filter drops
  const runs: [string, string][] = [
    ['ja4/CVE-2018-6794.pcap', 'http.response'],
    ['ja4/CVE-2018-6794.pcap', 'tcp.analysis.retransmission'],
    ['ja4/latest.pcapng', 'tcp.analysis.retransmission || http'],
  ];
  for (const [f, readFilter] of runs) {
    const args = ['-r', file(f), '-2', '-R', readFilter];
    const ours = tcpwatch(args);
    assert.equal(ours, tshark(args), `${f}: -2 -R ${readFilter}`);
    assert.ok(ours.split('\n').length > 3, `${f}: -2 -R ${readFilter} keeps several frames`);
  }
  // -Y applies in the second pass, to the renumbered frames
  const both = ['-r', file('ja4/CVE-2018-6794.pcap'), '-2', '-R', 'tcp.stream == 1', '-Y', 'frame.number >= 8', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.seq'];
  assert.equal(tcpwatch(both), tshark(both));
  for (const [args, line] of [
    [['-r', file('ja4/CVE-2018-6794.pcap'), '-R', 'http'], 'tcpwatch: -R without -2 is deprecated. For single-pass filtering use -Y.\n'],
    [['-2', '-i', 'lo'], 'tcpwatch: Live captures do not support two-pass analysis.\n'],
  ] as [string[], string][]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    assert.equal(r.stderr, line);
    assert.equal(r.status, 2);
  }
});
