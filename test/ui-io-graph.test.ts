// The I/O graph (I) in a real terminal (tmux) on the bundled lab sample, at 80×24 under NO_COLOR
// and at 160×50 in 256 colours. The display filter in use is the first line; two more are added
// with +. At 10 ms the cursor walks every interval and the readout must show, for each line, the
// frames tshark 4.0's `-z io,stat,0.01,FILTER…` counts in that interval (run here on the same file),
// then u switches to bytes and the walk back checks tshark's bytes. The value axis' top is the
// highest count; each interval's column holds the first line's marker when it counted anything and
// no marker when no line did. The legend names every line beside its marker; under NO_COLOR the
// markers differ, in colour each line has its own colour. > changes the interval (100 ms: tshark's
// io,stat,0.1 again) and - removes the line added last.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT } from './helpers/corpus';
import { Tmux, haveTmux, plain, sgrAtColumn } from './helpers/tmux';
import { have } from './helpers/system';
import { tsharkIoStat } from './helpers/io-stat';

const skip = !haveTmux() ? 'tmux is not installed' : !have('tshark') ? 'tshark is not installed' : false;
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const DISPLAY_FILTER = 'tcp.len > 0';
const ADDED = ['tls', 'tcp.flags.syn == 1'];
const MARKERS = ['\u25cf', '+', 'x'];

interface Readout { interval: string; values: number[]; unit: string }

function readout(screen: string): Readout {
  const line = screen.split('\n').find((l) => / <> (?:[\d.]+|Dur): /.test(l));
  assert.ok(line !== undefined, `a readout line on screen:\n${screen}`);
  const m = /([\d.]+ <> (?:[\d.]+|Dur)): (.*?) (packets|bytes)\s*$/.exec(line);
  assert.ok(m !== null, `readout: ${line}`);
  const values: number[] = [];
  for (const v of m[2].matchAll(/(\S) (\d): (\d+)/g)) {
    assert.equal(v[1], MARKERS[Number(v[2]) - 1], `line ${v[2]}'s marker in ${line}`);
    values.push(Number(v[3]));
  }
  return { interval: m[1], values, unit: m[3] };
}

async function checkGraph(width: number, height: number, env: Record<string, string>): Promise<void> {
  const filters = [DISPLAY_FILTER, ...ADDED];
  const at10ms = tsharkIoStat(SAMPLE, '0.01', filters);
  const t = Tmux.start(['-r', SAMPLE], { SSLKEYLOGFILE: '', ...env }, width, height);
  try {
    await t.waitForText('shown 55 / 55');
    t.keys('/');
    t.literal(DISPLAY_FILTER);
    t.keys('Enter');
    await t.waitForText(`shown ${tsharkIoStat(SAMPLE, '0', [DISPLAY_FILTER])[0].frames[0]} / 55`);
    t.keys('I');
    await t.waitForText('I/O graph: packets per 1 s');
    t.keys('<', '<');
    await t.waitForText('I/O graph: packets per 10 ms');
    for (const f of ADDED) {
      t.keys('+');
      await t.waitForText('I/O graph line, display filter:');
      t.literal(f);
      t.keys('Enter');
      await t.waitFor((s) => s.includes(`: ${f}`) && readout(s).values.length === filters.indexOf(f) + 1, `the line ${f}`);
    }
    const s = await t.waitFor((x) => !x.includes('counting'), 'the count to finish');
    const lines = s.split('\n');
    assert.ok(lines.every((l) => l.length <= width), 'no line wider than the terminal');
    // The legend: every line's marker, number and filter, the first marked as the display filter.
    filters.forEach((f, j) => assert.ok(s.includes(`${MARKERS[j]} ${j + 1}: ${f}${j === 0 ? ' (display filter)' : ''}`), `legend of ${f}:\n${s}`));
    // The value axis' top: the highest count of any line in any interval.
    const max = Math.max(...at10ms.flatMap((r) => r.frames));
    const axisRow = lines.findIndex((l) => /└[─┴]+/.test(l));
    const x0 = lines[axisRow].indexOf('└') + 1;
    const readoutRow = lines.findIndex((l) => / <> (?:[\d.]+|Dur): /.test(l));
    assert.match(lines[readoutRow + 1], new RegExp(`^\\s*${max} ┤`));
    assert.match(lines[axisRow], /^\s*0 └/);
    // Every interval's packets as tshark counts them, and its column of the plot.
    for (let k = 0; k < at10ms.length; k++) {
      const scr = k === 0 ? s : await t.waitFor((x) => !x.includes('counting') && readout(x).interval.startsWith(`${(k / 100).toFixed(2)} <>`), `interval ${k}`);
      const r = readout(scr);
      assert.equal(r.unit, 'packets');
      assert.deepEqual(r.values, at10ms[k].frames, `interval ${k} (${r.interval}): packets`);
      const rows = scr.split('\n').slice(readoutRow + 1, axisRow);
      const column = rows.map((l) => l[x0 + k] ?? ' ').filter((c) => MARKERS.includes(c));
      if (at10ms[k].frames[0] > 0) assert.ok(column.includes(MARKERS[0]), `interval ${k}: line 1's marker in its column`);
      if (at10ms[k].frames.every((v) => v === 0)) assert.deepEqual(column, [], `interval ${k}: nothing drawn`);
      else assert.ok(column.length > 0);
      if (k + 1 < at10ms.length) t.keys('Right');
    }
    // Bytes, walking back.
    t.keys('u');
    for (let k = at10ms.length - 1; k >= 0; k--) {
      const scr = await t.waitFor((x) => !x.includes('counting') && readout(x).unit === 'bytes' && readout(x).interval.startsWith(`${(k / 100).toFixed(2)} <>`), `bytes of interval ${k}`);
      assert.deepEqual(readout(scr).values, at10ms[k].bytes, `interval ${k}: bytes`);
      if (k > 0) t.keys('Left');
    }
    const bytesScreen = t.screen();
    assert.match(bytesScreen, /I\/O graph: bytes per 10 ms/);
    assert.match(bytesScreen.split('\n')[readoutRow + 1], new RegExp(`^\\s*${Math.max(...at10ms.flatMap((r) => r.bytes))} ┤`));
    if (env.NO_COLOR === undefined) {
      // Each line's marker in its own colour, in the legend.
      const escaped = t.lines(true);
      const legendRow = escaped.findIndex((l) => plain(l).includes(`1: ${DISPLAY_FILTER} (display filter)`));
      const colours = MARKERS.map((m) => sgrAtColumn(escaped[legendRow], plain(escaped[legendRow]).indexOf(`${m} `)));
      assert.equal(new Set(colours).size, MARKERS.length, `colours ${colours.join(' | ')}`);
    }
    // 100 ms: tshark's io,stat,0.1 again; then the last line removed.
    const at100ms = tsharkIoStat(SAMPLE, '0.1', filters);
    t.keys('u', '>', 'Home');
    for (let k = 0; k < at100ms.length; k++) {
      const scr = await t.waitFor((x) => !x.includes('counting') && x.includes('packets per 100 ms') && readout(x).interval.startsWith(`${(k / 10).toFixed(1)} <>`), `100 ms interval ${k}`);
      assert.deepEqual(readout(scr).values, at100ms[k].frames, `100 ms interval ${k}`);
      if (k + 1 < at100ms.length) t.keys('Right');
    }
    t.keys('-');
    const removed = await t.waitFor((x) => readout(x).values.length === 2, 'the last line removed');
    assert.ok(!removed.includes(`x 3: ${ADDED[1]}`));
    t.keys('Escape');
    await t.waitForText('Packet details');
  } finally {
    t.kill();
  }
}

test('I/O graph at 80x24 under NO_COLOR: every interval as tshark -z io,stat counts it, markers and legend', { skip }, async () => {
  await checkGraph(80, 24, { NO_COLOR: '1' });
});

test('I/O graph at 160x50 in 256 colours: the same counts, a colour per line', { skip }, async () => {
  await checkGraph(160, 50, {});
});
