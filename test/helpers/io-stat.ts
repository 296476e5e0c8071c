// tshark's -z io,stat table read back: per interval, each column's frames and bytes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** `tshark -r FILE -q -z io,stat,INTERVAL,FILTER…`: for every interval it prints, each filter's frames and bytes. */
export function tsharkIoStat(file: string, interval: string, filters: string[]): { frames: number[]; bytes: number[] }[] {
  const out = execFileSync('tshark', ['-r', file, '-q', '-z', `io,stat,${interval},${filters.join(',')}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  const rows: { frames: number[]; bytes: number[] }[] = [];
  for (const m of out.matchAll(/^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|((?:\s*\d+\s*\|)+)\s*$/gm)) {
    const v = m[1].split('|').map((x) => x.trim()).filter((x) => x !== '').map(Number);
    rows.push({ frames: v.filter((_, k) => k % 2 === 0), bytes: v.filter((_, k) => k % 2 === 1) });
  }
  assert.ok(rows.length > 0, `io,stat rows in:\n${out}`);
  return rows;
}
