// -Z USER: a root capture gives up root after opening the device and before creating the -w file,
// as tcpdump does, headless and in the UI (where both the UI and its capture process give it up,
// with the capability bounding set emptied and no_new_privs set on every thread);
// -Z without root, or for a user that does not exist, is one line and exit 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './helpers/corpus';
import { Tmux, haveTmux } from './helpers/tmux';
import { childrenOf } from './helpers/processes';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveCap = (() => { try { require('cap'); return true; } catch { return false; } })();

/** Each thread's bounding set and no_new_privs, as /proc shows them. */
function execLimits(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((task) => {
    const s = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    return `CapBnd ${/^CapBnd:\s*(\S+)/m.exec(s)![1]} NoNewPrivs ${/^NoNewPrivs:\s*(\S+)/m.exec(s)![1]}`;
  }).filter((v, i, all) => all.indexOf(v) === i);
}

/** execLimits of a process whose every thread has an empty bounding set and no_new_privs. */
const EXEC_LIMITED = ['CapBnd 0000000000000000 NoNewPrivs 1'];

test('-Z nobody: the capture keeps running and the -w file belongs to nobody', { skip: !isRoot || !haveCap ? 'needs root and the cap module' : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-z-'));
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'out.pcap');
  const server = net.createServer((s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const child = spawn(process.execPath, [CLI, '-i', 'lo', '-Z', 'nobody', '-c', '6', '-w', out, 'tcp', 'port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "listening" line: ${stderr}`)), 10000);
    child.stderr.on('data', () => { if (stderr.includes('listening on')) { clearTimeout(t); resolve(); } });
  });
  assert.deepEqual(execLimits(child.pid!), EXEC_LIMITED, 'the headless capture, once listening');
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => { const c = net.connect(port, '127.0.0.1'); c.on('data', () => {}); c.on('close', () => resolve()); });
  }
  const code = await new Promise<number | null>((resolve) => {
    const t = setTimeout(() => child.kill('SIGINT'), 10000);
    child.on('exit', (c) => { clearTimeout(t); resolve(c); });
  });
  server.close();
  assert.equal(code, 0, stderr);
  const st = fs.statSync(out);
  const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  assert.equal(st.uid, nobody, 'the -w file was created after root was given up');
  assert.equal(st.mode & 0o777, 0o600);
  const r = spawnSync(process.execPath, [CLI, '-r', out], { encoding: 'utf8' });
  assert.equal(r.stdout.trim().split('\n').length, 6);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('-Z for a user that does not exist, or without root: one line, exit 2', { skip: !haveCap ? 'needs the cap module' : false }, () => {
  const r = spawnSync(process.execPath, [CLI, '-i', 'lo', '-Z', 'no-such-user-here', '-c', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^tcpwatch: -Z: no such user "no-such-user-here"\n$/);
  if (isRoot) {
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, '-i', 'lo', '-Z', 'nobody', '-c', '1'], { encoding: 'utf8' });
    if (asNobody.error === undefined) {
      assert.equal(asNobody.status, 2);
      assert.match(asNobody.stderr, /not running as root/);
    }
  }
});

/** Real, effective, saved and filesystem uid of a process. */
function uids(pid: number): number[] {
  const m = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m.slice(1).map(Number) : [];
}

test('-Z nobody in the UI: the UI and its capture process both give up root; the -w file belongs to nobody and holds the packets', { skip: !isRoot || !haveCap || !haveTmux() ? 'needs root, the cap module and tmux' : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-z-ui-'));
  fs.chmodSync(dir, 0o777);
  const out = path.join(dir, 'ui.pcap');
  const server = net.createServer((s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const t = Tmux.start(['-i', 'lo', '-Z', 'nobody', '-w', out, 'tcp', 'port', String(port)]);
  try {
    await t.waitForText('live: lo');
    const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
    const ui = childrenOf(t.panePid())[0];
    const capture = childrenOf(ui).find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('capture-child.js'));
    assert.ok(capture !== undefined, 'the UI runs a capture process');
    assert.deepEqual(uids(ui), [nobody, nobody, nobody, nobody], 'the UI gave up root');
    assert.deepEqual(uids(capture), [nobody, nobody, nobody, nobody], 'the capture process gave up root');
    assert.deepEqual(execLimits(ui), EXEC_LIMITED, 'the UI');
    assert.deepEqual(execLimits(capture), EXEC_LIMITED, 'the capture process');
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => { const c = net.connect(port, '127.0.0.1'); c.on('data', () => {}); c.on('close', () => resolve()); });
    }
    // each connection: handshake, data, the server's FIN, the client's FIN, ACKs
    const s = await t.waitFor((x) => /shown (\d+) \/ \1 /.test(x) && Number(/shown (\d+) /.exec(x)![1]) >= 15, 'the three connections');
    const shown = Number(/shown (\d+) /.exec(s)![1]);
    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited');
    assert.match(after, new RegExp(`^${shown} packets captured, ${shown} written to .*\\n\\[tcpwatch exited 0\\]`, 'm'));
    const st = fs.statSync(out);
    assert.equal(st.uid, nobody, 'the -w file was created after root was given up');
    assert.equal(st.mode & 0o777, 0o600);
    const r = spawnSync(process.execPath, [CLI, '-r', out], { encoding: 'utf8' });
    assert.equal(r.stdout.trim().split('\n').length, shown);
  } finally {
    t.kill();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
