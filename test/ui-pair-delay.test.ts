// The one-way delay graph of the stream graph view (P, then Tab to it) in a real terminal (tmux), on
// a short download seen at two capture points through the seeded relay of test/helpers/two-points.ts
// that holds every frame DELAY_MS: each direction's median delay in the title is -z pairs' median of
// the same file and within 1 ms of the relay's delay, the value axis starts at the relay's delay
// (no segment is faster than the relay), and the dots of both directions lie at the relay's delay
// level: nearly all in the rows within 1 ms of it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { recordTwoPointDownload, TWO_POINTS_SKIP } from './helpers/two-points';
import { Tmux, haveTmux, plain, sgrAtColumn } from './helpers/tmux';

const skip = TWO_POINTS_SKIP || (haveTmux() ? false : 'tmux is not installed');
const DELAY_MS = 20;
/** The theme's 256-colour foregrounds of the two directions' dots (graphAttrs: Data, Ack). */
const FIRST_FG = '38;5;117', SECOND_FG = '38;5;114';

test('P, Tab to the one-way delay: each direction at the relay\'s delay, as -z pairs measures it', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-delay-graph-'));
  fs.chmodSync(dir, 0o777);
  try {
    const { merged } = await recordTwoPointDownload(dir, { seed: 5, loss: 0.02, delayMs: DELAY_MS, bytes: 150_000 });
    const z = spawnSync(process.execPath, [CLI, '-r', merged, '-q', '-z', 'pairs'], { encoding: 'utf8' });
    assert.equal(z.status, 0, z.stderr);
    const medians = new Map([...z.stdout.matchAll(/^(\S+ → \S+)\n(?:  .*\n){2}  one-way delay ms: min \S+ median (\S+)/gm)].map((m) => [m[1], Number(m[2])]));
    assert.equal(medians.size, 2, z.stdout);
    const ui = Tmux.start(['-r', merged], {}, 200, 50);
    try {
      // Every packet indexed before the graph reads the stream.
      const frames = spawnSync('tshark', ['-r', merged, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' }).stdout.trim().split('\n').length;
      await ui.waitForText(`shown ${frames} / ${frames}`);
      ui.keys('P');
      await ui.waitForText('TCP stream graph (tcptrace), stream 0');
      ui.keys('Tab', 'Tab', 'Tab', 'Tab');
      const s = await ui.waitForText('One-way delay between the capture points, stream 0');
      const title = s.split('\n')[0];
      for (const [name, median] of medians) {
        const m = new RegExp(`${name.replace(/[.[\]]/g, '\\$&')}: median (\\d+\\.\\d{3}) ms, (\\d+) paired, (\\d+) lost`).exec(title);
        assert.ok(m !== null, `${name} in the title: ${title}`);
        assert.equal(Number(m[1]), median, `${name}: the graph's median is -z pairs' median\n${title}\n${z.stdout}`);
        assert.ok(Math.abs(Number(m[1]) - DELAY_MS) < 1, `${name}: median ${m[1]} ms, the relay holds ${DELAY_MS} ms`);
      }
      // The value axis and the rows' delays.
      const lines = s.split('\n');
      const esc = ui.lines(true);
      const axisRow = lines.findIndex((l) => /└─+/.test(l));
      const plotRows = lines.map((l, k) => ({ l, k })).filter(({ l, k }) => k < axisRow && /^\s*(\d+\.\d{3} ms)?\s*[┤│]/.test(l));
      const top = plotRows[0].k, bottom = plotRows[plotRows.length - 1].k, rows = bottom - top + 1;
      const hi = Number(/([\d.]+) ms/.exec(lines[top])![1]), lo = Number(/([\d.]+) ms/.exec(lines[bottom])![1]);
      assert.ok(lo >= DELAY_MS - 0.5 && lo < DELAY_MS + 1, `lowest delay on the axis: ${lo} ms`);
      assert.ok(hi >= lo);
      const x0 = lines[axisRow].indexOf('└') + 1;
      const counts = { [FIRST_FG]: 0, [SECOND_FG]: 0 };
      let near = 0, all = 0;
      for (let r = 0; r < rows - 1; r++) {
        // The top row also holds the lost segments; the rows below it only delays.
        if (r === 0) continue;
        const line = esc[top + r];
        const text = plain(line);
        const rowLo = lo + ((hi - lo) * (rows - 1 - r - 0.5)) / rows, rowHi = lo + ((hi - lo) * (rows - r + 0.5)) / rows;
        for (let x = x0; x < text.length; x++) {
          if (text[x] < '\u2801' || text[x] > '\u28ff') continue;
          const fg = sgrAtColumn(line, x);
          if (fg === FIRST_FG || fg === SECOND_FG) counts[fg]++;
          all++;
          if (rowLo <= DELAY_MS + 1 && rowHi >= DELAY_MS - 1) near++;
        }
      }
      assert.ok(counts[FIRST_FG] > 0 && counts[SECOND_FG] > 0, `dots of both directions: ${JSON.stringify(counts)}`);
      // The medians above hold to 1 ms; single dots scatter with the scheduling of a busy two-core
      // machine (the relay, both namespaces' TCP and two captures share it), so most, not all.
      assert.ok(near / all >= 0.75, `dots at the relay's delay: ${near} of ${all}`);
      ui.keys('Escape');
      await ui.waitForText('Packet details');
    } finally {
      ui.kill();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
