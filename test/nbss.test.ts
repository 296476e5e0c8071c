// NBSS and SMB2 as tshark 4.0 shows them (src/protocols/nbss/, src/protocols/smb2/): smbclient
// against Samba's smbd on ports 139 and 445 of a network namespace's loopback, recorded here —
// share listings on both ports, and on a share of the test's own a listing, file information, a
// 140 KB read that spans segments, a write, a directory made and removed. Every frame's Protocol
// and Info columns and every NBSS and SMB2 header field agree with tshark, but for the frames
// tshark names after the DCERPC calls a named pipe carries (tcpwatch leaves those as SMB2); the
// display filters smb2, smb2.cmd == 1 and nbss match the frames tshark's match.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { have, isRoot } from './helpers/system';
import { startTcpdump, Tcpdump } from './helpers/tcpdump';
import { stopProcess } from './helpers/loopback';

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const FIELDS = ['frame.number', '_ws.col.Protocol', '_ws.col.Info', 'nbss.type', 'nbss.flags', 'nbss.flags.e',
  'nbss.length', 'nbss.called_name', 'nbss.calling_name', 'nbss.continuation_data',
  'smb2.protocol_id', 'smb2.header_len', 'smb2.credit.charge', 'smb2.nt_status', 'smb2.channel_sequence', 'smb2.cmd',
  'smb2.credits.requested', 'smb2.credits.granted', 'smb2.flags', 'smb2.flags.response', 'smb2.flags.async', 'smb2.flags.chained',
  'smb2.flags.signature', 'smb2.flags.priority_mask', 'smb2.flags.dfs', 'smb2.flags.replay', 'smb2.chain_offset', 'smb2.msg_id',
  'smb2.pid', 'smb2.aid', 'smb2.tid', 'smb2.sesid', 'smb2.signature'];
/** tshark names these frames after the DCERPC a named pipe carries, which tcpwatch does not dissect. */
const PIPE_PROTOCOLS = new Set(['DCERPC', 'SRVSVC']);

const live = !isRoot ? 'needs root (network namespace, tcpdump)'
  : !['smbd', 'smbclient', 'tcpdump', 'tshark', 'ip'].every(have) ? 'needs smbd and smbclient (Debian samba, smbclient), tcpdump, tshark and ip' : false;

test('smbclient against smbd on ports 139 and 445: NBSS and SMB2 agree with tshark', { skip: live, timeout: 120_000 }, async (t) => {
  const ns = `tcpwatch-nbss-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-nbss-'));
  const pcap = path.join(dir, 'nbss.pcap');
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  const share = path.join(dir, 'share');
  fs.mkdirSync(share);
  fs.writeFileSync(path.join(share, 'hello.txt'), 'hello\n');
  // Larger than a loopback segment: the Read Response is reassembled from several.
  fs.writeFileSync(path.join(share, 'big.bin'), Buffer.alloc(140_000, 'tcpwatch '));
  const conf = path.join(dir, 'smb.conf');
  fs.writeFileSync(conf, ['[global]', 'netbios name = TCPWATCHSRV', 'workgroup = TCPWATCHGRP', 'interfaces = lo', 'bind interfaces only = yes',
    'smb ports = 445 139', ...['lock directory', 'state directory', 'cache directory', 'pid directory', 'private dir', 'ncalrpc dir'].map((k) => `${k} = ${state}`),
    `log file = ${path.join(state, 'log.%m')}`, 'load printers = no', 'disable spoolss = yes', 'map to guest = Bad User',
    '[share]', `path = ${share}`, 'guest ok = yes', 'read only = no', 'force user = root', ''].join('\n'));
  let smbd: ChildProcess | null = null;
  let tcpdump: Tcpdump | null = null;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    tcpdump = await startTcpdump(pcap, 'tcp port 139 or tcp port 445', [], ['ip', 'netns', 'exec', ns]);
    // In a process group of its own: smbd signals its whole group when it stops.
    smbd = spawn('ip', ['netns', 'exec', ns, 'smbd', '--foreground', '--no-process-group', '-s', conf, '-d', '0'], { stdio: 'ignore', detached: true });
    const client = (port: string, ...args: string[]): string => spawnSync('ip', ['netns', 'exec', ns, 'smbclient', '-s', conf, '-p', port, '-N', ...args],
      { encoding: 'utf8', timeout: 15_000 }).stdout ?? '';
    const list = (): string => client('445', '-L', '//127.0.0.1');
    // Ready once it lists the share; earlier attempts are refused connections, which carry no NBSS.
    const deadline = Date.now() + 15_000;
    while (!/share\s+Disk/.test(list())) {
      assert.ok(Date.now() < deadline, 'smbd did not start serving');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(client('139', '-L', '//127.0.0.1'), /share\s+Disk/);
    const commands = `ls; allinfo hello.txt; get big.bin ${path.join(dir, 'big.out')}; put ${conf} conf.txt; mkdir made; rmdir made; del conf.txt`;
    client('445', '//127.0.0.1/share', '-c', commands);
    assert.equal(fs.readFileSync(path.join(dir, 'big.out')).length, 140_000);
    await stopProcess(smbd);
    smbd = null;
    assert.equal(await tcpdump.stop(200), 0);
    tcpdump = null;

    if (process.env.TCPWATCH_KEEP_SMB_CAPTURE) fs.copyFileSync(pcap, process.env.TCPWATCH_KEEP_SMB_CAPTURE);

    const args = ['-r', pcap, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]).split('\n').filter(Boolean);
    const got = run(process.execPath, [CLI, ...args]).split('\n').filter(Boolean);
    assert.equal(got.length, want.length);
    const compared = want.flatMap((row, i) => (PIPE_PROTOCOLS.has(row.split('\t')[1]) ? [] : [[row, got[i]]]));
    const smb2Frames = compared.filter(([row]) => row.split('\t')[1] === 'SMB2').length;
    t.diagnostic(`${compared.length} frames of ${want.length} compared (${smb2Frames} SMB2), ${want.length - compared.length} DCERPC over a pipe left out`);
    const infos = compared.map(([row]) => row.split('\t')[2]);
    for (const info of ['Session request, to 127.0.0.1<20> from TCPWATCHSRV<00>', 'Positive session response', 'Negotiate Protocol Request',
      'Session Setup Response, Error: STATUS_MORE_PROCESSING_REQUIRED, NTLMSSP_CHALLENGE', 'Tree Connect Request Tree: \\\\127.0.0.1\\IPC$',
      'Tree Connect Request Tree: \\\\127.0.0.1\\share', 'Session message [TCP segment of a reassembled PDU]', 'Read Response',
      'Close Request File: hello.txt']) {
      assert.ok(infos.includes(info), `tshark's reading has no ${info}`);
    }
    assert.ok(compared.length > (want.length * 3) / 4, `${compared.length} of ${want.length}`);
    const differing = compared.filter(([a, b]) => a !== b);
    t.diagnostic(`${compared.length - differing.length} of ${compared.length} agree`);
    assert.deepEqual(differing, []);

    for (const filter of ['smb2', 'smb2.cmd == 1', 'nbss']) {
      const frames = (cmd: string, pre: string[]): string => run(cmd, [...pre, '-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
      const matched = frames('tshark', ['-n']);
      assert.ok(matched.length > 0, filter);
      assert.equal(frames(process.execPath, [CLI]), matched, filter);
    }
  } finally {
    if (smbd !== null) await stopProcess(smbd);
    if (tcpdump !== null) await stopProcess(tcpdump.proc);
    // smbd's helpers (samba-dcerpcd and its workers) outlive it: every process left in the namespace is the test's.
    for (const pid of (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
    spawnSync('ip', ['netns', 'del', ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
