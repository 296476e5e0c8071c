// tcpdump on lo beside a test: the reference capture that tcpwatch's reading of the same traffic is
// compared with. Started and waited for until it listens; stopped with SIGINT once the last
// segments have reached its buffer.

import { spawn, ChildProcess } from 'node:child_process';

export interface Tcpdump {
  proc: ChildProcess;
  stderr: string;
  /** Stop it (after `settleMs` for late segments); resolves with the packets the kernel dropped. */
  stop(settleMs?: number): Promise<number>;
}

/**
 * tcpdump -i lo writing `pcap`, unbuffered, in immediate mode; `extra` adds options (-B, -s …);
 * `prefix` runs it through another command (`ip netns exec NS`, which execs tcpdump in its place).
 */
export function startTcpdump(pcap: string, filter: string, extra: string[] = [], prefix: string[] = []): Promise<Tcpdump> {
  const [cmd, ...args] = [...prefix, 'tcpdump', '-i', 'lo', '-n', '-U', '--immediate-mode', ...extra, '-w', pcap, filter];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const td: Tcpdump = {
    proc,
    stderr: '',
    async stop(settleMs = 100): Promise<number> {
      await new Promise((r) => setTimeout(r, settleMs));
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
      await exited;
      const m = /(\d+) packets? dropped by kernel/.exec(td.stderr);
      return m === null ? 0 : Number(m[1]);
    },
  };
  proc.stderr!.on('data', (b: Buffer) => (td.stderr += b.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`tcpdump did not start: ${td.stderr}`)); }, 5000);
    const poll = setInterval(() => {
      if (td.stderr.includes('listening on')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(td);
      }
    }, 10);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`tcpdump exited (${code}): ${td.stderr}`));
    });
  });
}
