// Several -i in the UI (issue 21): the capture process opens every interface and merges their
// frames (src/capture/merge.ts), each spool record naming its interface. Two local interfaces: lo
// and one end of a veth pair whose other end is in a network namespace the test makes (and removes).
// Known numbers of UDP datagrams go over each; the UI must list them merged with an Interface
// column, count each interface in the status bar, filter on frame.interface_name and
// frame.interface_id, and write one pcapng whose interfaces tshark reads back with the same counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { Tmux, haveTmux } from './helpers/tmux';
import { have, isRoot } from './helpers/system';

const canLive = isRoot && haveTmux() && ['ip', 'python3', 'tshark'].every(have) && spawnSync(process.execPath, [CLI, '-D']).status === 0;
const skip = canLive ? false : 'needs root, the cap module, tmux, ip, python3 and tshark';

const NS = `tw-${process.pid}-ifs`;
// Interface names are at most 15 bytes.
const HOST_END = `twh${process.pid % 100000}`;
const NS_END = `twn${process.pid % 100000}`;
const HOST_IP = '10.79.0.1';
const NS_IP = '10.79.0.2';
const ON_LO = 37;
const ON_VETH = 23;

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

function removeNamespace(): void {
  // Deleting the namespace deletes the veth pair with it.
  spawnSync('ip', ['netns', 'del', NS]);
  spawnSync('ip', ['link', 'del', HOST_END]);
}
process.once('exit', removeNamespace);

/** `count` UDP datagrams to host:port, sent from inside namespace `ns` when given. */
function sendUdp(host: string, port: number, count: number, ns?: string): void {
  const py = `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${count}):\n  s.sendto(b'tcpwatch %d' % i,('${host}',${port}))\n  time.sleep(0.005)\n`;
  sh([...(ns !== undefined ? ['ip', 'netns', 'exec', ns] : []), 'python3', '-c', py]);
}

function statusBar(screen: string): string {
  return screen.trimEnd().split('\n').pop() ?? '';
}

test('two interfaces in the UI: one list with an Interface column, per-interface counts, frame.interface_name and frame.interface_id filter, one pcapng tshark agrees with', { skip, timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ui-ifs-'));
  // live capture writes -w as the account it gives root up for (src/capture/privileges.ts)
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'both.pcapng');
  const port = 20000 + (process.pid % 20000);
  let t: Tmux | null = null;
  try {
    removeNamespace();
    sh(['ip', 'netns', 'add', NS]);
    sh(['ip', 'link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', NS_END]);
    sh(['ip', 'link', 'set', NS_END, 'netns', NS]);
    sh(['ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', HOST_END]);
    sh(['ip', 'link', 'set', HOST_END, 'up']);
    sh(['ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', NS_END]);
    sh(['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', NS_END, 'up']);
    sh(['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);

    t = Tmux.start(['-i', 'lo', '-i', HOST_END, '-w', out, 'udp', 'port', String(port)]);
    await t.waitForText(`live: lo 0 (drops 0), ${HOST_END} 0 (drops 0)`, 30_000);
    sendUdp('127.0.0.1', port, ON_LO);
    sendUdp(HOST_IP, port, ON_VETH, NS);
    const total = ON_LO + ON_VETH;
    // Merged frames wait up to 50 ms for the other interface; the counts reach the bar within a second.
    let s = await t.waitFor((x) => statusBar(x).includes(`shown ${total} / ${total}`) &&
      statusBar(x).includes(`live: lo ${ON_LO} (drops 0), ${HOST_END} ${ON_VETH} (drops 0)`), 'every datagram, counted per interface', 30_000);
    // The Interface column, between Time and Source.
    assert.match(s, /No\.\s+Time\s+Interface\s+Source\s+Destination\s+Protocol/);
    assert.match(s, new RegExp(`^\\s*\\d+ \\S+\\s+${HOST_END}\\s+${NS_IP.replace(/\./g, '\\.')}\\s+${HOST_IP.replace(/\./g, '\\.')}\\s+UDP`, 'm'));

    t.keys('/');
    await t.waitForText('Filter:');
    t.literal('frame.interface_name == "lo"');
    t.keys('Enter');
    s = await t.waitForText(`shown ${ON_LO} / ${total}`);
    assert.match(s, /^\s*\d+ \S+\s+lo\s+127\.0\.0\.1\s+127\.0\.0\.1\s+UDP/m);
    assert.doesNotMatch(s, new RegExp(`^\\s*\\d+ \\S+\\s+${HOST_END}\\s`, 'm'), 'no veth row left');
    t.keys('/');
    await t.waitForText('Filter:');
    t.keys('C-u');
    t.literal('frame.interface_id == 1');
    t.keys('Enter');
    s = await t.waitForText(`shown ${ON_VETH} / ${total}`);
    assert.doesNotMatch(s, /^\s*\d+ \S+\s+lo\s/m, 'no lo row left');

    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited', 20_000);
    assert.match(after, new RegExp(`^${total} packets captured, ${total} written to ${out.replace(/\./g, '\\.')}; 0 dropped by the kernel\\nper interface: lo ${ON_LO} \\(0 dropped\\), ${HOST_END} ${ON_VETH} \\(0 dropped\\)\\n\\[tcpwatch exited 0\\]`, 'm'));

    // tshark's reading of the file: two interfaces, named by -i, each frame on the one it came from.
    const r = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.interface_id', '-e', 'frame.interface_name', '-e', 'ip.src'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.equal(rows.length, total);
    const onLo = rows.filter(([id, name, src]) => id === '0' && name === 'lo' && src === '127.0.0.1').length;
    const onVeth = rows.filter(([id, name, src]) => id === '1' && name === HOST_END && src === NS_IP).length;
    assert.equal(onLo, ON_LO, 'tshark: the lo datagrams on interface 0, lo');
    assert.equal(onVeth, ON_VETH, `tshark: the namespace's datagrams on interface 1, ${HOST_END}`);
  } finally {
    t?.kill();
    removeNamespace();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
