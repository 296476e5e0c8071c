// The UI at scale: tcpwatch opens a capture of --frames packets (default 1,000,000: the lab sample of
// chat and TLS on loopback, replicated with shifted ports and times) in a real terminal (tmux,
// 160x50) and this script measures
//   - time to the first screen of rows and to the full count in the status bar, from the UI's own
//     trace (milliseconds since the process started) and from outside (tmux polled every 10 ms until
//     the first rows show, then every 100 ms: each poll runs a tmux client, and polling flat out
//     would take much of a core from the two processes being measured on a 2-core machine);
//   - time to handle PgDn, End and Home (key received to screen written), from the trace;
//   - time until every packet has its colouring rule (the rules are replayed over the whole store);
//   - resident memory after loading and after colouring, per packet, against the same UI on the
//     small sample.
// Each size is measured twice: as tcpwatch starts by default, and as a user who has set it up
// starts it: a custom column (--column FIELD, default tcp.stream) before Info and a colouring file
// of their own (--colors FILE, default Wireshark's own colorfilters where Wireshark is installed:
// 17 rules, several of them analysis filters, against tcpwatch's 11). --no-user-setup skips that.
// With --also M it measures a second, bigger replica too (the issue asks for 1M and 10M packets),
// one column per size and setup. Not a test: it prints what it measured (and bench-all collects it
// into docs/BENCHMARKS.md).
//
//   node dist/scripts/bench-ui.js [--frames N] [--also M] [--from FILE] [--rounds R] [--column FIELD] [--colors FILE] [--no-user-setup]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeBigCapture, DEFAULT_SOURCE } from './make-big-capture';
import { BENCH_DIR, emit, median, machine, ensureDir } from './bench-lib';
import { Tmux, haveTmux } from '../test/helpers/tmux';
import { countFrames } from '../test/helpers/pipeline';
import { BYTES_PER_PACKET } from '../src/store/columns';
import { DEFAULT_COLUMN_FORMAT } from '../src/output/column-format';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How often the screen is read while the rest of the file loads (the trace times it exactly). */
const LOADING_POLL_MS = 100;

interface Run {
  /** Milestones of the UI's start-up from the trace: hooks.ui called, store open, UI code loaded. */
  uiStartMs: number;
  storeOpenMs: number;
  uiCodeMs: number;
  firstRowsMs: number;
  loadedMs: number;
  /** Every packet has its colouring rule (NaN if the trace never said so). */
  colouredMs: number;
  firstRowsOutsideMs: number;
  loadedOutsideMs: number;
  pageDownMs: number[];
  endMs: number[];
  homeMs: number[];
  rssBytes: number;
  /** Resident memory once every packet has its colouring rule. */
  colouredRssBytes: number;
  /** process.memoryUsage() of the UI when loading ended, from its trace. */
  heapUsedBytes: number;
  arrayBufferBytes: number;
  count: number;
}

/** The node process running in the pane (the pane's shell runs it as a child). */
function nodePid(t: Tmux): number {
  const shell = Number(execTmux(t, ['display-message', '-t', t.session, '-p', '#{pane_pid}']).trim());
  const kids = fs.readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).map(Number);
  for (const k of kids) {
    const cmd = fs.readFileSync(`/proc/${k}/cmdline`, 'utf8');
    if (cmd.includes('tcpwatch')) return k;
  }
  throw new Error('tcpwatch process not found');
}

function execTmux(t: Tmux, args: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  return execFileSync('tmux', ['-L', t.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function traceValues(trace: string, what: string): number[] {
  const out: number[] = [];
  for (const line of trace.split('\n')) {
    const m = new RegExp(`^\\S+ handled ${what} ms=([0-9.]+)`).exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

function traceTime(trace: string, what: string): number {
  const line = trace.split('\n').find((l) => l.split(' ')[1] === what);
  return line ? Number(line.split(' ')[0]) : NaN;
}

/** The user's own setup, measured beside the defaults: a custom column and a colouring file. */
interface Setup {
  /** How the table's heading names it. */
  label: string;
  args: string[];
}

const DEFAULT_SETUP: Setup = { label: 'defaults', args: [] };

/**
 * A custom column of FIELD before Info (its values read from each row's frame) and the colouring
 * rules of FILE: what a user's own columns and colours cost.
 */
function userSetup(): Setup | null {
  if (process.argv.includes('--no-user-setup')) return null;
  const field = arg('--column', 'tcp.stream');
  const wiresharks = '/usr/share/wireshark/colorfilters';
  const colors = arg('--colors', fs.existsSync(wiresharks) ? wiresharks : '');
  const args = ['-o', `gui.column.format:${DEFAULT_COLUMN_FORMAT.replace('"Info", "%i"', `"${field}", "%Cus:${field}:0:U", "Info", "%i"`)}`];
  if (colors !== '') args.push('--colors', colors);
  return { label: `column ${field}${colors !== '' ? `, --colors ${colors}` : ''}`, args };
}

/** Wait until the trace says `what`, for at most `ms`. */
async function waitForTrace(trace: string, what: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (fs.existsSync(trace) && fs.readFileSync(trace, 'utf8').includes(` ${what} `)) return;
    await sleep(100);
  }
}

async function measure(file: string, expected: number, keys: boolean, setup: Setup): Promise<Run> {
  const trace = path.join(BENCH_DIR, `ui-trace-${process.pid}.txt`);
  fs.rmSync(trace, { force: true });
  const t0 = performance.now();
  const t = Tmux.start(['-r', file, ...setup.args], { TCPWATCH_UI_TRACE: trace });
  try {
    let firstOutside = NaN, loadedOutside = NaN;
    const full = new RegExp(`shown ${expected} / ${expected}`);
    for (;;) {
      const s = t.screen();
      const now = performance.now() - t0;
      if (Number.isNaN(firstOutside) && /^.\s+1 0\.0/m.test(s)) firstOutside = now;
      if (full.test(s) && !s.includes('loading')) {
        loadedOutside = now;
        break;
      }
      const status = s.trimEnd().split('\n').pop() ?? '';
      if (/shown \d+ \/ \d+/.test(status) && !status.includes('loading') && now > 1000 && !full.test(status)) {
        throw new Error(`loading ended early: ${status.trim()}`);
      }
      if (now > 600_000) throw new Error('the capture did not finish loading in 10 minutes');
      await sleep(Number.isNaN(firstOutside) ? 10 : LOADING_POLL_MS);
    }
    await sleep(1000); // let the indexing worker exit and memory settle
    const pid = nodePid(t);
    const rss = rssOf(pid);
    if (keys) {
      for (let k = 0; k < 20; k++) {
        t.keys('PageDown');
        await sleep(80);
      }
      for (let k = 0; k < 5; k++) {
        t.keys('End');
        await sleep(120);
        t.keys('Home');
        await sleep(120);
      }
      await sleep(300);
    }
    await waitForTrace(trace, 'colours-done', 120_000);
    await sleep(500);
    const colouredRss = rssOf(pid);
    const text = fs.readFileSync(trace, 'utf8');
    const start = /ui-start at=([0-9.]+) store-open=([0-9.]+) ui-code=([0-9.]+)/.exec(text);
    const mem = / memory rss=\d+ heapUsed=(\d+) heapTotal=\d+ arrayBuffers=(\d+)/.exec(text);
    return {
      uiStartMs: start ? Number(start[1]) : NaN,
      storeOpenMs: start ? Number(start[2]) : NaN,
      uiCodeMs: start ? Number(start[3]) : NaN,
      firstRowsMs: traceTime(text, 'first-rows'),
      loadedMs: traceTime(text, 'loaded'),
      colouredMs: traceTime(text, 'colours-done'),
      firstRowsOutsideMs: firstOutside,
      loadedOutsideMs: loadedOutside,
      pageDownMs: traceValues(text, 'pageDown'),
      endMs: traceValues(text, 'last'),
      homeMs: traceValues(text, 'first'),
      rssBytes: rss,
      colouredRssBytes: colouredRss,
      heapUsedBytes: mem ? Number(mem[1]) : NaN,
      arrayBufferBytes: mem ? Number(mem[2]) : NaN,
      count: expected,
    };
  } finally {
    t.kill();
    fs.rmSync(trace, { force: true });
  }
}

interface SizeResult {
  frames: number;
  setup: Setup;
  file: string;
  runs: Run[];
}

async function main(): Promise<void> {
  if (!haveTmux()) {
    emit({ title: 'UI (bench-ui)', lines: ['tmux is not installed: the UI benchmark needs a terminal to drive.'] });
    return;
  }
  const startedWith = machine(); // the load average when the run started, not when it ended
  const frames = Number(arg('--frames', '1000000'));
  const also = Number(arg('--also', '0'));
  const from = arg('--from', DEFAULT_SOURCE);
  const rounds = Number(arg('--rounds', '3'));
  ensureDir(BENCH_DIR);
  const small = from;
  const smallCount = countFrames(small);
  const baseline = await measure(small, smallCount, false, DEFAULT_SETUP);
  const setups = [DEFAULT_SETUP, userSetup()].filter((x): x is Setup => x !== null);
  const sizes: SizeResult[] = [];
  for (const n of also > 0 ? [frames, also] : [frames]) {
    const file = path.join(BENCH_DIR, `ui-${n}.pcap`);
    if (!fs.existsSync(file)) makeBigCapture(file, n, from);
    for (const setup of setups) {
      const runs: Run[] = [];
      for (let r = 0; r < rounds; r++) runs.push(await measure(file, n, true, setup));
      sizes.push({ frames: n, setup, file, runs });
    }
  }

  const fmt = (x: number): string => x.toFixed(1);
  const mib = (x: number): string => (x / 2 ** 20).toFixed(0);
  const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
  const med = (z: SizeResult, f: (r: Run) => number): number => median(z.runs.map(f));
  /** One table row: the label, then a value per size, then the target. */
  const row = (label: string, value: (z: SizeResult) => string, target = ''): string =>
    `| ${label} | ${sizes.map(value).join(' | ')} | ${target} |`;
  const keys = (z: SizeResult, f: (r: Run) => number[]): number[] => z.runs.flatMap(f);
  const keyCell = (z: SizeResult, f: (r: Run) => number[]): string => {
    const xs = keys(z, f);
    return `${fmt(median(xs))} / ${fmt(max(xs))} ms (${xs.length})`;
  };
  const counts = [...new Set(sizes.map((z) => z.frames))];
  const names = counts.map((n) => n.toLocaleString('en-US'));
  const user = setups[1];
  emit({
    title: `UI with ${names.join(' and ')} packets (bench-ui)`,
    lines: [
      `Captures: ${path.basename(from)} replicated to ${counts.map((n) => `${n} packets (${mib(fs.statSync(path.join(BENCH_DIR, `ui-${n}.pcap`)).size)} MiB)`).join(' and ')},`,
      `opened with \`tcpwatch -r FILE\`${user !== undefined ? `, as it starts by default and with a user's setup (\`${user.args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}\`)` : ''}`,
      `in tmux (160x50, TERM=xterm-256color); ${rounds} round${rounds === 1 ? '' : 's'} each, medians. Times "since start"`,
      'are the UI\'s own trace (performance.now(), i.e. since the process started); "from outside" polls the tmux screen every',
      `10 ms from before the tmux session is created until the first rows show, then every ${LOADING_POLL_MS} ms (a poll runs a tmux`,
      'client: polling flat out would take much of a core from the UI and its indexing process).',
      `Run: \`node dist/scripts/bench-ui.js --frames ${frames}${also > 0 ? ` --also ${also}` : ''}\`.`,
      '',
      `| measure | ${sizes.map((z) => `${z.frames.toLocaleString('en-US')} packets, ${z.setup.label}`).join(' | ')} | target |`,
      `|---|${sizes.map(() => '---|').join('')}---|`,
      row('first screen of rows, since start', (z) => `${fmt(med(z, (r) => r.firstRowsMs))} ms`, '< 500 ms'),
      row('first screen of rows, from outside', (z) => `${fmt(med(z, (r) => r.firstRowsOutsideMs))} ms`),
      row('\u2003of which: command line and feature modules loaded (hooks.ui called)', (z) => `${fmt(med(z, (r) => r.uiStartMs))} ms`),
      row(`\u2003store open, first ${'256'} packets indexed in-process`, (z) => `+${fmt(med(z, (r) => r.storeOpenMs - r.uiStartMs))} ms`),
      row('\u2003UI code and blessed loaded', (z) => `+${fmt(med(z, (r) => r.uiCodeMs - r.storeOpenMs))} ms`),
      row('\u2003screen set up and first rows drawn', (z) => `+${fmt(med(z, (r) => r.firstRowsMs - r.uiCodeMs))} ms`),
      row('full count in the status bar, since start', (z) => `${fmt(med(z, (r) => r.loadedMs))} ms`, '< 3000 ms (1M)'),
      row('full count in the status bar, from outside', (z) => `${fmt(med(z, (r) => r.loadedOutsideMs))} ms`),
      row('every packet coloured (rules replayed over the store), since start', (z) => `${fmt(med(z, (r) => r.colouredMs))} ms`),
      row('PgDn: key to screen written (median / max, keys)', (z) => keyCell(z, (r) => r.pageDownMs), '< 16 ms'),
      row('End (median / max, keys)', (z) => keyCell(z, (r) => r.endMs), '< 16 ms'),
      row('Home (median / max, keys)', (z) => keyCell(z, (r) => r.homeMs)),
      row('resident memory after loading', (z) => `${mib(med(z, (r) => r.rssBytes))} MiB`),
      row('resident memory once every packet is coloured', (z) => `${mib(med(z, (r) => r.colouredRssBytes))} MiB`),
      row('\u2003of which ArrayBuffers (index columns, per-stream tables, file cache) / JavaScript heap in use', (z) =>
        `${mib(med(z, (r) => r.arrayBufferBytes))} / ${mib(med(z, (r) => r.heapUsedBytes))} MiB`),
      row(`resident memory of the same UI on the ${smallCount}-packet sample`, () => `${mib(baseline.rssBytes)} MiB`),
      row('resident memory per packet (total / above the small sample)', (z) => {
        const rss = med(z, (r) => r.rssBytes);
        return `${(rss / z.frames).toFixed(0)} / ${((rss - baseline.rssBytes) / z.frames).toFixed(0)} bytes`;
      }, '< 100 bytes'),
      row('index per packet (columns)', () => `${BYTES_PER_PACKET} bytes`, '<= 64 bytes'),
      '',
      ...startedWith,
    ],
  });
}

main().catch((e) => {
  process.stderr.write(`bench-ui: ${(e as Error).message}\n`);
  process.exit(1);
});
