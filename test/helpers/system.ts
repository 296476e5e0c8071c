// What this machine has for the tests that need more than Node: root, commands on the PATH
// (tcpdump, tshark, tmux …) and the cap module, which builds only where libpcap's headers are.

import { spawnSync } from 'node:child_process';

export const isRoot = process.getuid?.() === 0;

/** Whether `cmd` is on the PATH. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Whether the cap module was built (it is optional: reading files works without it). */
export function capBuilt(): boolean {
  try {
    require.resolve('cap');
    return true;
  } catch {
    return false;
  }
}
