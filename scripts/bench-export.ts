// tshark's other command lines at scale, side by side with tshark on the same replica of the lab
// capture: -T ek (the bulk lines a pipeline into OpenSearch or Elasticsearch reads), -T json, -V,
// and -z conv,tcp -q; and the peak memory of -T ek on a file ten times smaller and on the full one
// (a streamed export holds nothing between packets, so the two should be alike).
// The tree outputs run on --ek-frames frames (default 200,000: tshark takes about 0.1 ms a frame
// for them, three rounds of both tools on the 1M-frame file would take a quarter of an hour);
// -z conv,tcp on --frames (default 1,000,000).
//
//   node dist/scripts/bench-export.js [--frames N] [--ek-frames N] [--rounds R] [--from FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DEFAULT_SOURCE } from './make-big-capture';
import { CLI, benchCapture, emit, has, sideBySide, machine, BENCH_DIR } from './bench-lib';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Peak resident memory of a command, in MiB (GNU time's %M), output thrown away. */
function peakRssMiB(cmd: string): number {
  const out = path.join(BENCH_DIR, `rss-${process.pid}.txt`);
  const r = spawnSync('bash', ['-c', `/usr/bin/time -o ${out} -f %M ${cmd} > /dev/null 2>&1`], { stdio: 'ignore' });
  const kib = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  fs.rmSync(out, { force: true });
  if (r.status !== 0 || !Number.isFinite(kib)) throw new Error(`benchmark command failed (${r.status}): ${cmd}`);
  return kib / 1024;
}

function main(): void {
  const frames = Number(arg('--frames', '1000000'));
  const ekFrames = Number(arg('--ek-frames', String(Math.min(frames, 200000))));
  const rounds = Number(arg('--rounds', '3'));
  const from = arg('--from', DEFAULT_SOURCE);
  if (!has('tshark')) throw new Error('bench-export compares with tshark, which is not installed');
  const big = benchCapture(frames, from);
  const tree = benchCapture(ekFrames, from);
  const small = benchCapture(Math.max(1000, Math.floor(ekFrames / 10)), from);
  const cmds: [string, string, string, string][] = [
    [`\`-T ek\`, ${ekFrames.toLocaleString('en')} frames`, `node ${CLI} -r ${tree} -T ek`, `tshark -n -r ${tree} -T ek`, '≤ 0.1'],
    [`\`-T json\`, ${ekFrames.toLocaleString('en')} frames`, `node ${CLI} -r ${tree} -T json`, `tshark -n -r ${tree} -T json`, ''],
    [`\`-V\`, ${ekFrames.toLocaleString('en')} frames`, `node ${CLI} -r ${tree} -V`, `tshark -n -r ${tree} -V`, ''],
    [`\`-q -z conv,tcp\`, ${frames.toLocaleString('en')} frames`, `node ${CLI} -r ${big} -q -z conv,tcp`, `tshark -n -r ${big} -q -z conv,tcp`, '≤ 0.1'],
  ];
  const lines = [
    ...machine(),
    `- input: ${path.basename(from)} replicated to ${frames} frames (${big}) and to ${ekFrames} (${tree})`,
    '',
    `| command (median of ${rounds} runs, interleaved) | tcpwatch | tshark | ratio tcpwatch/tshark | target |`,
    '|---|---|---|---|---|',
  ];
  for (const [label, ours, theirs, target] of cmds) {
    const [a, b] = sideBySide([ours, theirs], rounds);
    lines.push(`| ${label} | ${a.toFixed(2)} s | ${b.toFixed(2)} s | ${(a / b).toFixed(3)} | ${target} |`);
  }
  const smallFrames = Math.max(1000, Math.floor(ekFrames / 10));
  const rssSmall = peakRssMiB(`node ${CLI} -r ${small} -T ek`), rssTree = peakRssMiB(`node ${CLI} -r ${tree} -T ek`);
  lines.push('',
    `Peak resident memory of \`tcpwatch -T ek\`: ${rssSmall.toFixed(0)} MiB on ${smallFrames.toLocaleString('en')} frames, ${rssTree.toFixed(0)} MiB on ${ekFrames.toLocaleString('en')} (target: flat).`,
    '', `Commands: \`${cmds.map((c) => c[1] + '` · `' + c[2]).join('` · `')}\``);
  emit({ title: 'Export formats and statistics against tshark (bench-export)', lines });
}

main();
