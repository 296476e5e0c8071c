// Bad command lines, option by option (issue 10): every option of the main command and of the lab's
// subcommands (chat serve/connect, tls serve, demo) given a bad value ends with exactly one line on
// stderr that starts with "tcpwatch: " and says what was wrong, exit status 2, and no stack trace.
// The table runs through the CLI's main() in one helper process (test/helpers/cli-harness.ts) so
// that it stays fast; a sample of it, and the cases that need another user, run as real processes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, REPO_ROOT } from './helpers/corpus';
import type { HarnessOutcome } from './helpers/cli-harness';
import { capBuilt, have, isRoot } from './helpers/system';

const HARNESS = path.join(REPO_ROOT, 'dist', 'test', 'helpers', 'cli-harness.js');
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');

/** An interface of this machine that is down (ifb and dummy devices usually are), or null. */
function downInterface(): string | null {
  for (const name of fs.readdirSync('/sys/class/net')) {
    try {
      const flags = parseInt(fs.readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim(), 16);
      if ((flags & 0x1) === 0) return name;
    } catch {
      // not readable: skip
    }
  }
  return null;
}

type Case = [args: string[], line: RegExp];

/** The environment without SSLKEYLOGFILE, which would add a key log of the user's own. */
function envWithoutKeylog(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SSLKEYLOGFILE;
  return env;
}

function cases(dir: string): Case[] {
  const notCapture = path.join(dir, 'notes.txt');
  fs.writeFileSync(notCapture, 'not a capture\n');
  const r = ['-r', SAMPLE];
  const f = [...r, '-T', 'fields', '-e', 'tcp.port'];
  const list: Case[] = [
    // -c, -s, -B, --memory-budget: counts and sizes
    [[...r, '-c', '-1'], /^tcpwatch: invalid packet count "-1": expected a positive whole number$/],
    [[...r, '-c', '0'], /^tcpwatch: invalid packet count "0"/],
    [[...r, '-c', 'abc'], /^tcpwatch: invalid packet count "abc"/],
    [[...r, '-c', '1.5'], /^tcpwatch: invalid packet count "1\.5"/],
    [[...r, '-c', ''], /^tcpwatch: invalid packet count ""/],
    [[...r, '-c'], /^tcpwatch: option '-c, --count <n>' argument missing$/],
    [[...r, '-s', '-1'], /^tcpwatch: invalid snapshot length "-1"/],
    [[...r, '-s', 'abc'], /^tcpwatch: invalid snapshot length "abc"/],
    [[...r, '-s', '1e3'], /^tcpwatch: invalid snapshot length "1e3"/],
    [[...r, '-B', '0'], /^tcpwatch: invalid buffer size "0": expected a positive whole number$/],
    [[...r, '-B', '-5'], /^tcpwatch: invalid buffer size "-5"/],
    [[...r, '-B', 'big'], /^tcpwatch: invalid buffer size "big"/],
    [[...r, '--memory-budget', '0'], /^tcpwatch: invalid memory budget "0": expected a positive whole number of MiB$/],
    [[...r, '--memory-budget', '-1'], /^tcpwatch: invalid memory budget "-1"/],
    [[...r, '--memory-budget', 'lots'], /^tcpwatch: invalid memory budget "lots"/],
    // inputs
    [['-r', path.join(dir, 'missing.pcap')], /^tcpwatch: .*missing\.pcap: no such file$/],
    [['-r', dir], /: is a directory, not a capture file$/],
    [['-r', notCapture], /notes\.txt: not a pcap or pcapng capture/],
    [[...r, '-i', 'lo'], /^tcpwatch: -r and -i both name an input: read a file \(-r FILE\) or capture live \(-i INTERFACE\), not both$/],
    [[...r, '-f', 'tcp'], /^tcpwatch: a capture filter applies to live capture; use -Y for a display filter on a file$/],
    [[...r, 'tcp', 'port', '80'], /^tcpwatch: a capture filter applies to live capture/],
    [['-i', 'nosuch0', '-q'], /^tcpwatch: (no interface named "nosuch0"; the interfaces are: .*lo.*|live capture needs the cap module.*)$/],
    // key logs and preferences
    [[...r, '--keylog', path.join(dir, 'missing.keylog')], /^tcpwatch: .*missing\.keylog: cannot read key log \(no such file\)$/],
    [[...r, '--keylog', dir], /: is a directory, not a key log$/],
    [[...r, '--keylog'], /^tcpwatch: option '--keylog <file>' argument missing$/],
    [[...r, '-o', 'tcp.no_such_pref:TRUE'], /^tcpwatch: unknown preference "tcp\.no_such_pref" for -o: tcpwatch knows .*tls\.keylog_file/],
    [[...r, '-o', 'garbage'], /^tcpwatch: invalid -o "garbage": expected NAME:VALUE/],
    [[...r, '-o', ':value'], /^tcpwatch: invalid -o ":value"/],
    // output formats, fields, -E
    [[...r, '-T', 'xml'], /^tcpwatch: unknown output format "xml" for -T: use text, fields, json, jsonraw, ndjson, pdml, ek or psml$/],
    [[...r, '-T', ''], /^tcpwatch: unknown output format "" for -T/],
    [[...r, '-T', 'fields'], /^tcpwatch: -T fields needs at least one -e FIELD$/],
    [[...r, '-T', 'fields', '-e', 'tcp.prot'], /^tcpwatch: unknown field "tcp\.prot"/],
    [[...r, '-T', 'json', '-e', 'no.such.field'], /^tcpwatch: unknown field "no\.such\.field"/],
    [[...r, '-e', 'tcp.port'], /^tcpwatch: -e applies to -T fields, json or ndjson: add -T fields$/],
    [[...f, '-E', 'bogus=1'], /^tcpwatch: unknown -E option "bogus": use header, separator, occurrence, aggregator or quote$/],
    [[...f, '-E', 'header'], /^tcpwatch: invalid -E option "header": expected NAME=VALUE$/],
    [[...f, '-E', 'header=maybe'], /^tcpwatch: invalid -E header value "maybe": use y or n$/],
    [[...f, '-E', 'separator='], /^tcpwatch: invalid -E separator value "": use \/t, \/s or a character$/],
    [[...f, '-E', 'aggregator='], /^tcpwatch: invalid -E aggregator value ""/],
    [[...f, '-E', 'occurrence=2'], /^tcpwatch: invalid -E occurrence value "2": use f, l or a$/],
    [[...f, '-E', 'quote=x'], /^tcpwatch: invalid -E quote value "x": use d, s or n$/],
    [[...r, '-E', 'header=y'], /^tcpwatch: -E applies to -T fields only$/],
    // statistics, time formats, registry reports
    [[...r, '-q', '-z', 'bogus'], /^tcpwatch: invalid -z argument "bogus": tcpwatch knows /],
    [[...r, '-q', '-z', 'conv,ipx'], /^tcpwatch: invalid -z conv type "ipx": use eth, ip, ipv6, tcp, udp$/],
    [[...r, '-q', '-z', 'follow,tcp,ascii'], /^tcpwatch: invalid -z follow stream "": expected a stream number/],
    [[...r, '-q', '-z', 'follow,sctp,ascii,0'], /^tcpwatch: invalid -z follow protocol "sctp": use tcp, udp, tls, http or http2$/],
    [[...r, '-q', '-z', 'io,stat,x'], /^tcpwatch: invalid -z io,stat interval "x"/],
    [[...r, '-q', '-z', 'conv,ip,ip.addr =='], /^tcpwatch: display filter error at column \d+: /],
    [[...r, '-t', 'a.3'], /^tcpwatch: invalid -t format "a\.3": use a, ad, adoy, d, dd, e, r, u, ud, udoy$/],
    [[...r, '-u', 'ms'], /^tcpwatch: invalid -u format "ms": use s or hms$/],
    [['-G', 'bogus'], /^tcpwatch: unknown -G report "bogus": use fields, protocols or values$/],
    [[...r, '-w', path.join(dir, 'out.pcap'), '-F', 'erf'], /^tcpwatch: unknown -F format "erf": tcpwatch writes pcap or pcapng$/],
    [[...r, '-F', 'pcapng'], /^tcpwatch: -F applies to -w: add -w FILE$/],
    [[...r, '-T', 'json', '-j', ' '], /^tcpwatch: invalid -j " ": name protocols, as "ip tcp"$/],
    // display filters
    [[...r, '-Y', 'tcp.port =='], /^tcpwatch: display filter error at column \d+: /],
    [[...r, '-Y', 'no.such.field == 1'], /^tcpwatch: display filter error at column 1: unknown field "no\.such\.field"/],
    [[...r, '-Y', '(tcp'], /^tcpwatch: display filter error at column \d+: /],
    [[...r, '-Y', 'tcp.port == "abc"'], /^tcpwatch: display filter error at column \d+: .*cannot be compared/],
    // explain, compare, -Z, -w
    [[...r, '--explain', 'abc'], /^tcpwatch: invalid stream "abc" for --explain: expected a tcp\.stream number such as 0$/],
    [[...r, '--explain', '-1'], /^tcpwatch: invalid stream "-1" for --explain/],
    [[...r, '--explain', '99999'], /^tcpwatch: no TCP stream 99999: the capture holds streams 0 to \d+$/],
    [[...r, '--compare', 'abc'], /^tcpwatch: invalid stream "abc" for --compare: expected a tcp\.stream number such as 0$/],
    [[...r, '-Z', 'no-such-user'], /^tcpwatch: -Z: no such user "no-such-user"$/],
    [[...r, '-Z', 'bad user!'], /^tcpwatch: -Z: "bad user!" is not a user name$/],
    [[...r, '-w', path.join(dir, 'no-dir', 'x.pcap')], /^tcpwatch: .*no-dir\/x\.pcap: cannot write \(ENOENT\)$/],
    [[...r, '-w', dir], /: cannot write \(EISDIR\)$/],
    [[...r, '-w', '/dev/full'], /^tcpwatch: \/dev\/full: cannot write \(ENOSPC: no space left on device\)$/],
    // unknown options: commander's suggestion stays on the same line
    [['--bogus'], /^tcpwatch: unknown option '--bogus'$/],
    [[...r, '--hexx'], /^tcpwatch: unknown option '--hexx' \(did you mean --hex\?\)$/],
    // chat serve / chat connect
    [['chat'], /^tcpwatch: "chat" needs a subcommand: serve or connect$/],
    [['chat', 'listen'], /^tcpwatch: unknown chat subcommand "listen": use serve or connect$/],
    [['chat', 'serve', '--port', '0'], /^tcpwatch: invalid port "0": expected a whole number from 1 to 65535$/],
    [['chat', 'serve', '--port', '65536'], /^tcpwatch: invalid port "65536"/],
    [['chat', 'serve', '--port', '-1'], /^tcpwatch: invalid port "-1"/],
    [['chat', 'serve', '--port', 'http'], /^tcpwatch: invalid port "http"/],
    [['chat', 'serve', '--port'], /^tcpwatch: option '--port <port>' argument missing$/],
    [['chat', 'serve', '--host', ''], /^tcpwatch: invalid host "": expected a name or an address such as 127\.0\.0\.1$/],
    [['chat', 'serve', '--prot', '1'], /^tcpwatch: unknown option '--prot' \(did you mean --port\?\)$/],
    [['chat', 'serve', 'extra'], /^tcpwatch: too many arguments for 'serve'\. Expected 0 arguments but got 1\.$/],
    [['chat', 'connect'], /^tcpwatch: missing required argument 'host'$/],
    [['chat', 'connect', '127.0.0.1', '70000'], /^tcpwatch: invalid port "70000"/],
    [['chat', 'connect', '127.0.0.1', '0'], /^tcpwatch: invalid port "0"/],
    [['chat', 'connect', ' ', '8989'], /^tcpwatch: invalid host " "/],
    // tls serve
    [['tls'], /^tcpwatch: "tls" needs a subcommand: serve$/],
    [['tls', 'serve', '--port', '99999'], /^tcpwatch: invalid port "99999"/],
    [['tls', 'serve', '--port', '0'], /^tcpwatch: invalid port "0"/],
    [['tls', 'serve', '--port', '8443.5'], /^tcpwatch: invalid port "8443\.5"/],
    [['tls', 'serve', '--keylog', path.join(dir, 'no-dir', 'keys.log'), '--port', '1'], /^tcpwatch: cannot open the key log .*no-dir\/keys\.log: ENOENT$/],
    [['tls', 'serve', '--bogus'], /^tcpwatch: unknown option '--bogus'$/],
    // demo (every bad value is refused before anything is captured)
    [['demo', '-c', 'none'], /^tcpwatch: invalid packet count "none"/],
    [['demo', '-c', '0'], /^tcpwatch: invalid packet count "0"/],
    [['demo', '-w', 'capture.pcap'], /^tcpwatch: demo saves pcapng, with the key log inside: give -w a name ending in \.pcapng/],
    [['demo', '-w', path.join(dir, 'no-dir', 'x.pcapng')], /^tcpwatch: .*no-dir: no such directory for -w$/],
    [['demo', '--explain', 'first'], /^tcpwatch: invalid stream "first" for --explain/],
  ];
  const down = downInterface();
  if (down !== null) list.push([['-i', down, '-q'], new RegExp(`^tcpwatch: (interface ${down} is down: bring it up|live capture needs the cap module|no permission to capture)`)]);
  if (isRoot && capBuilt()) {
    list.push([['-i', 'lo', '-q', '-f', 'tcp port 99999'], /^tcpwatch: capture filter "tcp port 99999" rejected by libpcap: illegal port number 99999 > 65535$/]);
    list.push([['-i', 'lo', '-q', 'tcp', 'and'], /^tcpwatch: capture filter "tcp and" rejected by libpcap: .*syntax error$/]);
    list.push([['-i', 'lo', '-q', '-Y', 'tcp.flags.syn =='], /^tcpwatch: display filter error at column \d+: /]);
    // as tshark: the file holds what was captured, so a display filter cannot choose what it holds
    list.push([['-i', 'lo', '-q', '-Y', 'tcp', '-w', path.join(dir, 'x.pcap')], /^tcpwatch: display filters aren't supported when capturing and saving the captured packets \(-Y with -w\)/]);
  }
  return list;
}

function runHarness(dir: string, list: Case[]): HarnessOutcome[] {
  const file = path.join(dir, 'cases.json');
  fs.writeFileSync(file, JSON.stringify(list.map(([args]) => args)));
  const r = spawnSync(process.execPath, [HARNESS], {
    env: { ...envWithoutKeylog(), TCPWATCH_CLI_HARNESS: file },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `harness: ${r.stderr}`);
  return JSON.parse(fs.readFileSync(`${file}.out`, 'utf8')) as HarnessOutcome[];
}

function assertOneLine(args: string[], status: number | null, stderr: string, line: RegExp, threw: string | null = null): void {
  const what = `tcpwatch ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`;
  assert.equal(threw, null, `${what} threw:\n${threw}`);
  assert.ok(stderr.endsWith('\n') && stderr.indexOf('\n') === stderr.length - 1, `${what}: expected exactly one line on stderr, got ${JSON.stringify(stderr)}`);
  assert.match(stderr.slice(0, -1), line, what);
  assert.equal(status, 2, `${what}: exit status ${status}, stderr ${JSON.stringify(stderr)}`);
}

test('every option given a bad value: one line starting "tcpwatch: ", exit status 2, no stack trace', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-cli-options-'));
  try {
    const list = cases(dir);
    const out = runHarness(dir, list);
    assert.equal(out.length, list.length, `the harness stopped at: ${JSON.stringify(out[out.length - 1]?.args)} (did not end)`);
    const failures: string[] = [];
    list.forEach(([args, line], i) => {
      try {
        assert.ok(!out[i].timedOut, `tcpwatch ${args.join(' ')} did not end`);
        assertOneLine(args, out[i].status, out[i].stderr, line, out[i].threw);
      } catch (e) {
        failures.push(`${(e as Error).message.split('\n')[0]} -> ${JSON.stringify(out[i]?.stderr)} (status ${out[i]?.status})`);
      }
    });
    assert.deepEqual(failures, [], `${failures.length} of ${list.length} bad command lines were not reported as one line with status 2`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function runReal(args: string[], uid?: number): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(uid !== undefined ? { uid, gid: uid } : {}),
      env: envWithoutKeylog(),
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

test('real processes say the same as the harness: one line, exit status 2', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-cli-real-'));
  try {
    const all = cases(dir);
    const pick = (pred: (args: string[]) => boolean) => all.find(([args]) => pred(args))!;
    const sample: Case[] = [
      pick((a) => a.includes('-c') && a.includes('-1')),
      pick((a) => a.includes('nosuch0')),
      pick((a) => a.includes('tcp.no_such_pref:TRUE')),
      pick((a) => a.includes('--hexx')),
      pick((a) => a[0] === 'chat' && a.includes('65536')),
      pick((a) => a.includes('-r') && a.includes('-i')),
    ];
    // A live capture gives up root once the device is open (src/capture/privileges.ts), for good:
    // it runs here, in a process of its own, not in the harness that goes on with the other cases.
    if (isRoot && capBuilt()) sample.push([['-i', 'lo', '-q', '-w', '/dev/full'], /^tcpwatch: \/dev\/full: cannot write \(ENOSPC: no space left on device\)$/]);
    const results = await Promise.all(sample.map(([args]) => runReal(args)));
    sample.forEach(([args, line], i) => assertOneLine(args, results[i].status, results[i].stderr, line));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('as an unprivileged user: an unreadable key log, capture file or -w directory is one line, exit 2', { skip: isRoot ? false : 'needs root to run tcpwatch as uid 65534' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-cli-perm-'));
  try {
    fs.chmodSync(dir, 0o755);
    const secret = path.join(dir, 'secret.keylog');
    fs.writeFileSync(secret, 'CLIENT_RANDOM 00 00\n', { mode: 0o600 });
    const privateCapture = path.join(dir, 'private.pcapng');
    fs.copyFileSync(SAMPLE, privateCapture);
    fs.chmodSync(privateCapture, 0o600);
    const rootOnly = path.join(dir, 'root-only');
    fs.mkdirSync(rootOnly, { mode: 0o755 });
    const checks: Case[] = [
      [['-r', SAMPLE, '--keylog', secret], /^tcpwatch: .*secret\.keylog: cannot read key log \(permission denied\)$/],
      [['-r', privateCapture], /^tcpwatch: .*private\.pcapng: permission denied$/],
      [['-r', SAMPLE, '-w', path.join(rootOnly, 'out.pcap')], /^tcpwatch: .*root-only\/out\.pcap: cannot write \(EACCES\)$/],
      [['-r', SAMPLE, '-Z', 'nobody'], /^tcpwatch: -Z nobody: tcpwatch is not running as root, so there are no privileges to drop$/],
    ];
    const results = await Promise.all(checks.map(([args]) => runReal(args, 65534)));
    checks.forEach(([args, line], i) => assertOneLine(args, results[i].status, results[i].stderr, line));
    assert.ok(!fs.existsSync(path.join(rootOnly, 'out.pcap')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-Z nobody with -r: root is given up before -w creates its file', { skip: isRoot && have('id') ? false : 'needs root' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-cli-drop-'));
  try {
    fs.chmodSync(dir, 0o755);
    const denied = await runReal(['-r', SAMPLE, '-Z', 'nobody', '-w', path.join(dir, 'out.pcap')]);
    assertOneLine(['-Z', 'nobody', '-w', 'DIR/out.pcap'], denied.status, denied.stderr, /^tcpwatch: .*out\.pcap: cannot write \(EACCES\)$/);
    fs.chmodSync(dir, 0o1777);
    const ok = await runReal(['-r', SAMPLE, '-Z', 'nobody', '-w', path.join(dir, 'out.pcap')]);
    assert.equal(ok.status, 0, ok.stderr);
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    assert.equal(fs.statSync(path.join(dir, 'out.pcap')).uid, nobody);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
