// A real OpenSSH server for the remote-capture tests: Debian's sshd on 127.0.0.1 and a free port,
// with a host key and a client key made for the test, in a directory the test owns. The client side
// is an ssh_config naming that key and a known_hosts holding that host key, handed to tcpwatch with
// --ssh-command "ssh -F CONFIG", as a user's own ~/.ssh would be.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, accepts } from './loopback';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  dir: string;
  port: number;
  proc: ChildProcess;
  /** ssh_config for the client: the test key, the test known_hosts, strict host key checking. */
  clientConfig: string;
  /** --ssh-command for tcpwatch. */
  sshCommand: string;
  /** The host's public key line (type and key), as known_hosts records it. */
  hostKey: string;
  stderr(): string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tcpwatch-test', '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

/** Whether something accepts TCP connections on 127.0.0.1:port inside network namespace `ns`. */
function acceptsIn(ns: string, port: number): boolean {
  return spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { timeout: 3000 }).status === 0;
}

/**
 * Starts sshd; `extraConfig` adds sshd_config lines (SetEnv …); `prefix` runs it through another
 * command (setpriv …); `netns` runs it inside that network namespace, on its own 127.0.0.1.
 */
export async function startSshd(extraConfig: string[] = [], prefix: string[] = [], netns?: string): Promise<TestSshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-sshd-'));
  keygen(path.join(dir, 'host_key'));
  keygen(path.join(dir, 'client_key'));
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  // sshd refuses to start without its privilege separation directory (Debian makes it at boot).
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${dir}/host_key`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'LogLevel ERROR',
    ...extraConfig,
    '',
  ].join('\n'));
  const [cmd, ...args] = [...(netns !== undefined ? ['ip', 'netns', 'exec', netns] : []), ...prefix, SSHD, '-D', '-e', '-f', config];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => { if (err.length < 65536) err += b.toString(); });
  // 'exit', not 'close': a session sshd forked shares the listener's stderr and may outlive it.
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const t0 = Date.now();
  while (!(netns !== undefined ? acceptsIn(netns, port) : await accepts(port))) {
    if (proc.exitCode !== null || Date.now() - t0 > 10_000) throw new Error(`sshd did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const hostKey = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  const clientConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(clientConfig, [
    'Host *',
    `  IdentityFile ${dir}/client_key`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${dir}/known_hosts`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  User root',
    '  LogLevel ERROR',
    '',
  ].join('\n'));
  return {
    dir, port, proc, clientConfig, hostKey,
    sshCommand: `ssh -F ${clientConfig}`,
    stderr: () => err,
    async stop(): Promise<void> {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every process below `pid`, children before grandchildren (from /proc: no pgrep by name). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(e));
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
