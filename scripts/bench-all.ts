// `npm run bench`: every benchmark script in one run, side by side with tcpdump and tshark, and
// docs/BENCHMARKS.md written from what they measured. Benchmarks are never part of `npm test`.
//
//   npm run bench [-- --frames N] [-- --quick]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, machine } from './bench-lib';

const quick = process.argv.includes('--quick');
const frames = (() => {
  const i = process.argv.indexOf('--frames');
  return i >= 0 ? process.argv[i + 1] : quick ? '200000' : '1000000';
})();

const scriptsDir = __dirname;
const order = ['bench-decode.js', 'bench-filter.js', 'bench-ui.js', 'bench-capture.js'];
const found = fs.readdirSync(scriptsDir).filter((n) => /^bench-.*\.js$/.test(n) && n !== 'bench-all.js' && n !== 'bench-lib.js');
const scripts = [...order.filter((n) => found.includes(n)), ...found.filter((n) => !order.includes(n)).sort()];

const sectionFile = path.join(ROOT, 'docs', '.bench-sections.md');
fs.mkdirSync(path.dirname(sectionFile), { recursive: true });
fs.writeFileSync(sectionFile, '');
const failures: string[] = [];
for (const s of scripts) {
  process.stderr.write(`bench: running ${s}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(scriptsDir, s), '--frames', frames, '--section-file', sectionFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) failures.push(`${s} exited with status ${r.status}`);
}
const head = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (scripts/bench-all.ts), which runs every `scripts/bench-*.ts` in one go.',
  'Ratios come from commands run side by side, interleaved, in the same run; the machine is shared, so',
  'read ratios and medians rather than absolute times. Rerun with `npm run bench` (`-- --quick` for 200k frames).',
  '',
  ...machine(),
  `- date: ${new Date().toISOString()}`,
  '',
];
const body = fs.readFileSync(sectionFile, 'utf8');
fs.unlinkSync(sectionFile);
const tail = failures.length ? ['', '## Scripts that failed', '', ...failures.map((f) => `- ${f}`), ''] : [];
fs.writeFileSync(path.join(ROOT, 'docs', 'BENCHMARKS.md'), head.join('\n') + '\n' + body + tail.join('\n'));
process.stderr.write(`bench: wrote docs/BENCHMARKS.md${failures.length ? ` (${failures.length} failed)` : ''}\n`);
