// The processes a test started, read from /proc: a terminal's program and its children (the UI,
// its capture process), and the CPU time one has used.

import * as fs from 'node:fs';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The process ids of `pid`'s children (none once it has gone). */
export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter((k) => k !== '').map(Number);
  } catch {
    return [];
  }
}

/** A child of `pid` whose command line contains `match` (the first child when no match is given), waited for up to 10 s. */
export async function childOf(pid: number, match = ''): Promise<number> {
  for (let i = 0; i < 400; i++) {
    for (const kid of childrenOf(pid)) {
      try {
        if (fs.readFileSync(`/proc/${kid}/cmdline`, 'utf8').includes(match)) return kid;
      } catch {
        // gone meanwhile
      }
    }
    await sleep(25);
  }
  throw new Error(`process ${pid} has no child ${match}`);
}

/** User and system CPU time `pid` has used, in clock ticks (1/100 s on Linux). */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime: fields 14 and 15 of proc(5), 12 and 13 after the command name and state
  return Number(fields[11]) + Number(fields[12]);
}
