// Least privilege by default: a root live capture opens the device, then gives up root before the
// first packet is parsed — to the user who ran sudo, else to tcpdump's account or nobody — in the
// headless process, the UI and the UI's capture process, with no capability left in any set, the
// bounding set empty and no_new_privs set on every thread, so that no setuid or file-capability
// program started afterwards gives anything back. -Z root keeps root and all of that and says so;
// a build without native/prctl still captures and says once that the bounding set is kept; a -w
// path the account cannot write is one line and exit 2.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { CLI, REPO_ROOT } from './helpers/corpus';
import { Tmux, haveTmux, quitDiscarding } from './helpers/tmux';
import { childrenOf } from './helpers/processes';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const haveCap = (() => { try { require('cap'); return true; } catch { return false; } })();
const skip = !isRoot || !haveCap ? 'needs root and the cap module' : false;

/** No sudo in the picture, whatever the environment running the tests says. */
const NO_SUDO = { SUDO_USER: '', SUDO_UID: '', SUDO_GID: '' };

function uidOf(name: string): number | null {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

/** The account a root capture becomes without sudo or -Z: tcpdump's where it exists, else nobody. */
const defaultAccount = uidOf('tcpdump') !== null ? 'tcpdump' : 'nobody';

// A throwaway system user with a supplementary group of its own, as the user who "ran sudo".
const TEST_USER = `tcpw-t${process.pid % 100000}`;
const TEST_GROUP = `${TEST_USER}-x`;
let testUser: { uid: number; gid: number; groups: number[] } | null = null;

before(() => {
  if (skip) return;
  spawnSync('userdel', [TEST_USER], { stdio: 'ignore' });
  spawnSync('groupdel', [TEST_GROUP], { stdio: 'ignore' });
  const g = spawnSync('groupadd', ['--system', TEST_GROUP], { encoding: 'utf8' });
  const u = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '-G', TEST_GROUP, TEST_USER], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  assert.equal(u.status, 0, u.stderr);
  const id = (flag: string) => spawnSync('id', [flag, TEST_USER], { encoding: 'utf8' }).stdout.trim();
  testUser = { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(' ').map(Number).sort((a, b) => a - b) };
});

after(() => {
  if (skip) return;
  spawnSync('userdel', [TEST_USER], { stdio: 'ignore' });
  spawnSync('groupdel', [TEST_GROUP], { stdio: 'ignore' });
});

function sudoEnv(): Record<string, string> {
  return { SUDO_USER: TEST_USER, SUDO_UID: String(testUser!.uid), SUDO_GID: String(testUser!.gid) };
}

interface Held { uid: number[]; gid: number[]; groups: number[]; caps: Record<string, bigint>; bounding: bigint; noNewPrivs: number }

/** What every thread of a process holds: uids, gids, supplementary groups, capability sets, no_new_privs. */
function threadsOf(pid: number): Held[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((task) => {
    const s = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    const ids = (k: string) => (new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)?.[1] ?? '').trim().split(/\s+/).filter((x) => x !== '').map(Number);
    const mask = (set: string) => BigInt('0x' + new RegExp(`^${set}:\\s*([0-9a-f]+)`, 'm').exec(s)![1]);
    const caps: Record<string, bigint> = {};
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapAmb']) caps[set] = mask(set);
    const noNewPrivs = Number(/^NoNewPrivs:\s*(\d+)/m.exec(s)![1]);
    return { uid: ids('Uid'), gid: ids('Gid'), groups: ids('Groups').sort((a, b) => a - b), caps, bounding: mask('CapBnd'), noNewPrivs };
  });
}

/** The bounding set root has here (this test runs as root and has lowered nothing). */
const rootBounding = threadsOf(process.pid)[0].bounding;

function assertUnprivileged(pid: number, uid: number, what: string, groups?: number[]): void {
  const threads = threadsOf(pid);
  assert.ok(threads.length > 0);
  for (const t of threads) {
    assert.deepEqual(t.uid, [uid, uid, uid, uid], `${what}: real, effective, saved and filesystem uid`);
    assert.ok(t.gid.every((g) => g !== 0), `${what}: no gid 0 (${t.gid})`);
    assert.ok(!t.groups.includes(0), `${what}: root's groups are gone (${t.groups})`);
    if (groups !== undefined) assert.deepEqual(t.groups, groups, `${what}: the user's own supplementary groups`);
    for (const [set, v] of Object.entries(t.caps)) assert.equal(v, 0n, `${what}: ${set} is empty`);
    assert.equal(t.bounding, 0n, `${what}: CapBnd is empty on every thread`);
    assert.equal(t.noNewPrivs, 1, `${what}: NoNewPrivs is set on every thread`);
  }
}

/** Root as it started: uid 0, the bounding set root has, no_new_privs not set, on every thread. */
function assertRootKept(pid: number, what: string): void {
  for (const t of threadsOf(pid)) {
    assert.deepEqual(t.uid, [0, 0, 0, 0], `${what}: still root`);
    assert.notEqual(t.bounding, 0n);
    assert.equal(t.bounding, rootBounding, `${what}: CapBnd as root has it`);
    assert.equal(t.noNewPrivs, 0, `${what}: NoNewPrivs not set`);
  }
}

async function tcpServer(): Promise<{ server: net.Server; port: number; connect(): Promise<void> }> {
  const server = net.createServer((s) => s.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const connect = () => new Promise<void>((resolve) => { const c = net.connect(port, '127.0.0.1'); c.on('data', () => {}); c.on('close', () => resolve()); });
  return { server, port, connect };
}

function startHeadless(args: string[], env: Record<string, string>, cli = CLI): { child: ChildProcess; stdout: () => string; stderr: () => string; listening: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => { stdout += b; });
  child.stderr!.on('data', (b) => { stderr += b; });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (c, sig) => { if (sig !== null) stderr += `killed by ${sig}\n`; resolve(c); }));
  const listening = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "listening" line: ${stderr}`)), 15000);
    child.stderr!.on('data', () => { if (stderr.includes('listening on')) { clearTimeout(t); resolve(); } });
    child.on('exit', () => { clearTimeout(t); reject(new Error(`exited before listening: ${stderr}`)); });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, listening, exit };
}

function writableDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o777);
  return dir;
}

/** Waits until the live UI in `t` shows a connection's packets; its process and its capture process. */
async function uiCapturingConnection(t: Tmux, connect: () => Promise<void>): Promise<{ ui: number; capture: number }> {
  await t.waitForText('live: lo');
  await connect();
  await t.waitFor((x) => /shown (\d+) /.test(x) && Number(/shown (\d+) /.exec(x)![1]) >= 8, 'the connection');
  const ui = childrenOf(t.panePid())[0];
  const capture = childrenOf(ui).find((k) => fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('capture-child.js'));
  assert.ok(capture !== undefined, 'the UI runs a capture process');
  return { ui, capture };
}

test(`headless, no sudo, no -Z: the capture runs as ${defaultAccount} with no capability; the -w file is ${defaultAccount}'s and holds the packets`, { skip }, async () => {
  const dir = writableDir('tcpwatch-priv-');
  const out = path.join(dir, 'out.pcap');
  const { server, port, connect } = await tcpServer();
  const run = startHeadless(['-i', 'lo', '-w', out, 'tcp', 'port', String(port)], NO_SUDO);
  try {
    await run.listening;
    await connect();
    assertUnprivileged(run.child.pid!, uidOf(defaultAccount)!, 'the headless capture');
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.stderr());
    assert.equal(fs.statSync(out).uid, uidOf(defaultAccount));
    const r = spawnSync(process.execPath, [CLI, '-r', out], { encoding: 'utf8' });
    assert.ok(r.stdout.trim().split('\n').length >= 8, r.stdout);
    assert.doesNotMatch(run.stderr(), /root/);
  } finally {
    run.child.kill('SIGKILL');
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('headless under sudo: the capture becomes the sudo user, with their supplementary groups; the -w file is theirs', { skip }, async () => {
  const dir = writableDir('tcpwatch-priv-sudo-');
  const out = path.join(dir, 'out.pcapng');
  const { server, port, connect } = await tcpServer();
  const run = startHeadless(['-i', 'lo', '-w', out, 'tcp', 'port', String(port)], sudoEnv());
  try {
    await run.listening;
    await connect();
    assertUnprivileged(run.child.pid!, testUser!.uid, 'the headless capture', testUser!.groups);
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.stderr());
    const st = fs.statSync(out);
    assert.equal(st.uid, testUser!.uid);
    assert.equal(st.gid, testUser!.gid);
  } finally {
    run.child.kill('SIGKILL');
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-Z root keeps root, its bounding set and no_new_privs unset, and says so in one line', { skip }, async () => {
  const { server, port, connect } = await tcpServer();
  const run = startHeadless(['-i', 'lo', '-Z', 'root', '-q', 'tcp', 'port', String(port)], NO_SUDO);
  try {
    await run.listening;
    await connect();
    assertRootKept(run.child.pid!, '-Z root');
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.stderr());
    const warnings = run.stderr().split('\n').filter((l) => /-Z root/.test(l));
    assert.deepEqual(warnings, ['tcpwatch: -Z root: capturing and dissecting as root with every capability; a dissector bug would be a root bug']);
    assert.doesNotMatch(run.stderr(), /bounding set/);
  } finally {
    run.child.kill('SIGKILL');
    server.close();
  }
});

/**
 * A copy of this build without native/prctl, as on a machine where setup could not build it: the
 * compiled code and the command copied, the rest linked. Readable by the account it becomes.
 */
function buildWithoutPrctl(): string {
  const root = writableDir('tcpwatch-no-prctl-');
  fs.chmodSync(root, 0o755);
  fs.cpSync(path.join(REPO_ROOT, 'dist', 'src'), path.join(root, 'dist', 'src'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  for (const linked of ['node_modules', 'share', 'samples', 'package.json']) fs.symlinkSync(path.join(REPO_ROOT, linked), path.join(root, linked));
  spawnSync('chmod', ['-R', 'a+rX', root]);
  return root;
}

test('a build without native/prctl captures all the same, as the unprivileged account, and says once that the bounding set is kept', { skip }, async () => {
  const root = buildWithoutPrctl();
  assert.equal(fs.existsSync(path.join(root, 'native')), false);
  const { server, port, connect } = await tcpServer();
  const run = startHeadless(['-i', 'lo', 'tcp', 'port', String(port)], NO_SUDO, path.join(root, 'bin', 'tcpwatch.js'));
  try {
    await run.listening;
    await connect();
    for (const t of threadsOf(run.child.pid!)) {
      assert.deepEqual(t.uid, Array(4).fill(uidOf(defaultAccount)), 'root was given up all the same');
      for (const [set, v] of Object.entries(t.caps)) assert.equal(v, 0n, `${set} is empty`);
      assert.equal(t.bounding, rootBounding, 'the bounding set is what root had');
      assert.equal(t.noNewPrivs, 0);
    }
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.stderr());
    assert.ok(run.stdout().trim().split('\n').length >= 8, run.stdout());
    const kept = run.stderr().split('\n').filter((l) => /bounding set/.test(l));
    assert.deepEqual(kept, ['tcpwatch: the capability bounding set is kept and no_new_privs is not set (native/prctl is not built): a setuid or file-capability program started later could regain privileges; bash scripts/setup.sh builds native/prctl']);
  } finally {
    run.child.kill('SIGKILL');
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('once root is given up, neither a setuid-root program nor one with file capabilities gets anything back', { skip }, () => {
  const dir = writableDir('tcpwatch-priv-exec-');
  fs.chmodSync(dir, 0o755);
  // A setuid-root id(1) says whether it runs as root. Two copies of cat(1) with cap_net_raw in their
  // file capabilities show in /proc/self/status what they were given: one with the effective bit
  // (a program that knows nothing of capabilities), one without (a program that raises them itself).
  const setuidId = path.join(dir, 'id');
  fs.copyFileSync('/usr/bin/id', setuidId);
  fs.chmodSync(setuidId, 0o4755);
  const capCat = { effective: path.join(dir, 'cat-ep'), permitted: path.join(dir, 'cat-p') };
  for (const [kind, file] of Object.entries(capCat)) {
    fs.copyFileSync('/usr/bin/cat', file);
    fs.chmodSync(file, 0o755);
    const setcap = spawnSync('setcap', [kind === 'effective' ? 'cap_net_raw+ep' : 'cap_net_raw+p', file], { encoding: 'utf8' });
    assert.equal(setcap.status, 0, `setcap (Debian's libcap2-bin): ${setcap.stderr}`);
  }
  const nobody = uidOf('nobody')!;
  const nobodyGid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  const CAP_NET_RAW = '0000000000002000';
  const capSet = (status: string, set: string) => new RegExp(`^${set}:\\s*(\\S+)`, 'm').exec(status)?.[1];
  // As nobody, the bounding set and no_new_privs untouched: the three programs do gain here.
  const control = spawnSync('setpriv', [`--reuid=${nobody}`, `--regid=${nobodyGid}`, '--clear-groups', 'sh', '-c', `${setuidId} -u; ${capCat.effective} /proc/self/status; ${capCat.permitted} /proc/self/status`], { encoding: 'utf8' });
  // What a compromised capture could start, after tcpwatch's own drop.
  const afterDrop = [
    `require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'src', 'capture', 'privileges.js'))}).dropPrivileges({ name: 'nobody', uid: ${nobody}, gid: ${nobodyGid} });`,
    `const { spawnSync } = require('node:child_process');`,
    `const run = (file, arg) => { const r = spawnSync(file, [arg], { encoding: 'utf8' }); return r.error ? r.error.code : r.stdout; };`,
    `console.log(JSON.stringify({ id: run(${JSON.stringify(setuidId)}, '-u'), effective: run(${JSON.stringify(capCat.effective)}, '/proc/self/status'), permitted: run(${JSON.stringify(capCat.permitted)}, '/proc/self/status') }));`,
  ].join('\n');
  try {
    assert.equal(control.status, 0, control.stderr);
    assert.equal(control.stdout.split('\n')[0], '0', 'the setuid copy of id runs as root');
    const [effectiveStatus, permittedStatus] = control.stdout.split(/^(?=Name:)/m).slice(1);
    assert.equal(capSet(effectiveStatus, 'CapEff'), CAP_NET_RAW, 'cat-ep starts with cap_net_raw effective');
    assert.equal(capSet(permittedStatus, 'CapPrm'), CAP_NET_RAW, 'cat-p starts with cap_net_raw permitted');
    const r = spawnSync(process.execPath, ['-e', afterDrop], { encoding: 'utf8', env: { ...process.env, ...NO_SUDO } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no bounding-set warning: native/prctl is built');
    const after = JSON.parse(r.stdout) as { id: string; effective: string; permitted: string };
    assert.equal(after.id.trim(), String(nobody), 'the setuid copy of id runs as nobody (no_new_privs)');
    // capabilities(7): a program with the effective bit that cannot get all its file capabilities is refused.
    assert.equal(after.effective, 'EPERM', 'cat-ep is refused: the bounding set lacks cap_net_raw');
    for (const set of ['CapPrm', 'CapEff', 'CapBnd']) assert.equal(capSet(after.permitted, set), '0000000000000000', `cat-p starts with ${set} empty`);
    assert.equal(capSet(after.permitted, 'NoNewPrivs'), '1', 'and no_new_privs inherited');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a -w path the unprivileged account cannot write: one line naming the account, exit 2, nothing created', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-priv-rootonly-'));
  fs.chmodSync(dir, 0o700);
  const out = path.join(dir, 'out.pcap');
  try {
    const r = spawnSync(process.execPath, [CLI, '-i', 'lo', '-q', '-w', out, 'tcp', 'port', '9'], { encoding: 'utf8', env: { ...process.env, ...NO_SUDO }, timeout: 20000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^tcpwatch: .*out\\.pcap: cannot write \\(EACCES\\): tcpwatch writes it as ${defaultAccount}, after giving up root`));
    assert.equal(fs.existsSync(out), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the UI under sudo: the UI and its capture process both become the sudo user with no capability; the -w file is theirs', { skip: skip || (!haveTmux() ? 'needs tmux' : false) }, async () => {
  const dir = writableDir('tcpwatch-priv-ui-');
  const out = path.join(dir, 'ui.pcap');
  const { server, port, connect } = await tcpServer();
  const t = Tmux.start(['-i', 'lo', '-w', out, 'tcp', 'port', String(port)], sudoEnv());
  try {
    const { ui, capture } = await uiCapturingConnection(t, connect);
    assertUnprivileged(ui, testUser!.uid, 'the UI', testUser!.groups);
    assertUnprivileged(capture, testUser!.uid, 'the capture process', testUser!.groups);
    t.keys('q');
    const after = await t.waitForText('[tcpwatch exited');
    assert.match(after, /\[tcpwatch exited 0\]/);
    assert.equal(fs.statSync(out).uid, testUser!.uid);
  } finally {
    t.kill();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(`the UI, no sudo: the UI and its capture process run as ${defaultAccount} with no capability`, { skip: skip || (!haveTmux() ? 'needs tmux' : false) }, async () => {
  const { server, port, connect } = await tcpServer();
  const t = Tmux.start(['-i', 'lo', 'tcp', 'port', String(port)], NO_SUDO);
  try {
    const { ui, capture } = await uiCapturingConnection(t, connect);
    assertUnprivileged(ui, uidOf(defaultAccount)!, 'the UI');
    assertUnprivileged(capture, uidOf(defaultAccount)!, 'the capture process');
    await quitDiscarding(t);
    assert.match(await t.waitForText('[tcpwatch exited'), /\[tcpwatch exited 0\]/);
  } finally {
    t.kill();
    server.close();
  }
});

test('the UI with -Z root: the UI and its capture process keep root, the bounding set and no_new_privs unset', { skip: skip || (!haveTmux() ? 'needs tmux' : false) }, async () => {
  const { server, port, connect } = await tcpServer();
  const t = Tmux.start(['-i', 'lo', '-Z', 'root', 'tcp', 'port', String(port)], NO_SUDO);
  try {
    const { ui, capture } = await uiCapturingConnection(t, connect);
    assertRootKept(ui, 'the UI');
    assertRootKept(capture, 'the capture process');
    await quitDiscarding(t);
    assert.match(await t.waitForText('[tcpwatch exited'), /\[tcpwatch exited 0\]/);
  } finally {
    t.kill();
    server.close();
  }
});

test('-Z root reading a file: root is kept, and that is no failure', { skip }, () => {
  const sample = path.join(__dirname, '..', '..', 'samples', 'lab.pcapng');
  const r = spawnSync(process.execPath, [CLI, '-r', sample, '-Z', 'root', '-c', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2);
});
