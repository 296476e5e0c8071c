// Shared helpers for the benchmark scripts: timing commands side by side, medians, the machine
// description, and a markdown section format that bench-all collects into docs/BENCHMARKS.md.

import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { makeBigCapture } from './make-big-capture';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'bin', 'tcpwatch.js');
export const BENCH_DIR = process.env.TCPWATCH_BENCH_DIR ?? path.join(os.tmpdir(), 'tcpwatch-bench');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall-clock seconds of a shell command with output to /dev/null. */
export function timeShell(cmd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `${cmd} > /dev/null 2>&1`], { stdio: 'ignore' });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`benchmark command failed (${r.status}): ${cmd}`);
  return t;
}

/** Runs the commands in turn, `rounds` times, interleaved so load changes hit both alike; medians in seconds. */
export function sideBySide(cmds: string[], rounds: number): number[] {
  const times: number[][] = cmds.map(() => []);
  for (let r = 0; r < rounds; r++) cmds.forEach((c, i) => times[i].push(timeShell(c)));
  return times.map(median);
}

export function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !r.stdout && !r.stderr) return 'not installed';
  return ((r.stdout || r.stderr).split('\n')[0] ?? '').trim();
}

export function has(cmd: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    `- node ${process.version}; ${versionOf('tcpdump', ['--version'])}; ${versionOf('tshark', ['--version'])}`,
    `- load average when the run started: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (the machine is shared: read ratios, not absolute times)`,
  ];
}

export interface Section {
  title: string;
  lines: string[];
}

/** Print a section; bench-all passes --section-file to collect it. */
export function emit(section: Section): void {
  const text = `## ${section.title}\n\n${section.lines.join('\n')}\n`;
  process.stdout.write(text + '\n');
  const i = process.argv.indexOf('--section-file');
  if (i >= 0) fs.appendFileSync(process.argv[i + 1], text + '\n');
}

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
}

/** A replica of `from` with `frames` frames in BENCH_DIR, made once and reused by later runs. */
export function benchCapture(frames: number, from: string): string {
  ensureDir(BENCH_DIR);
  const file = path.join(BENCH_DIR, `bench-${path.basename(from).replace(/\.[^.]*$/, '')}-${frames}.pcap`);
  if (!fs.existsSync(file)) makeBigCapture(file, frames, from);
  return file;
}
