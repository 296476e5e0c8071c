// Both ends of a connection (-z pairs): two network namespaces made by the test as two "hosts",
// each with its own sshd, joined by the seeded impairing relay of the lossy-TCP tests
// (test/helpers/impaired-link.ts) that delays every frame by a fixed time and drops some. tcpwatch
// captures on both hosts' interfaces at once through ssh (-i ssh://A/devA -i ssh://B/devB: kernel
// timestamps on both), and -z pairs must find every segment seen at both points, exactly the
// segments the relay logged as dropped as lost between the points, and the relay's delay as the
// one-way delay, within 1 ms — in total and in every interval over time, and in --explain's two
// lanes (one row per transmission, its time at each point, the rows lost between them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { recordTwoPointDownload, TWO_POINTS_SKIP } from './helpers/two-points';
import { Tmux, haveTmux } from './helpers/tmux';

const skip = TWO_POINTS_SKIP;
const DELAY_MS = 20;

test('a download seen at both ends: every segment paired, the relay\'s drops lost between the points, its delay the one-way delay', { skip }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-pairs-'));
  fs.chmodSync(dir, 0o777);
  try {
    const { merged, log, ipA, pointA, pointB, liveOut } = await recordTwoPointDownload(dir, { seed: 21, loss: 0.03, delayMs: DELAY_MS, bytes: 400_000 });

    const z = spawnSync(process.execPath, [CLI, '-r', merged, '-q', '-z', 'pairs'], { encoding: 'utf8' });
    assert.equal(z.status, 0, z.stderr);
    t.diagnostic(z.stdout);
    // Live, at the end of the capture, the same report as from its file.
    assert.equal(liveOut, z.stdout);
    const dirs = [...z.stdout.matchAll(/^(\S+ → \S+)\n  upstream point (\d): (\d+) segments there, (\d+) at the other\n  paired (\d+), lost between the points (\d+) \(sent again (\d+)\), seen downstream only (\d+), duplicated on the path (\d+)\n  one-way delay ms: min (\S+) median (\S+) p99 (\S+) max (\S+)$/gm)];
    assert.equal(dirs.length, 2, 'one connection, two directions');
    // Which relay side each direction crossed: a>b is from A's namespace (its address) to B's.
    let upTotal = 0;
    const lost = new Map<string, number>();
    for (const m of dirs) {
      const [, name, up, atUp, atDown, paired, lostN, , onlyDown, dup, , median] = m;
      const side: string = name.startsWith(`${ipA}:`) ? 'a>b' : 'b>a';
      assert.equal(up, side === 'a>b' ? '0' : '1', `${name}: the sender's capture point is upstream`);
      assert.equal(Number(paired) + Number(lostN), Number(atUp), `${name}: every segment at the upstream point is paired or lost`);
      assert.equal(Number(onlyDown), 0, `${name}: nothing seen downstream only`);
      assert.equal(Number(dup), 0, `${name}: no duplicates (the relay duplicates none)`);
      assert.equal(Number(paired), Number(atDown), `${name}: every segment downstream is paired`);
      assert.ok(Math.abs(Number(median) - DELAY_MS) < 1, `${name}: one-way delay ${median} ms, the relay holds ${DELAY_MS} ms`);
      upTotal += Number(atUp);
      lost.set(side, Number(lostN));
    }
    // The relay numbers IPv4 frames from the first; the ones before the capture (its setup ping)
    // are those it saw beyond what the two upstream points captured.
    const before = log.stats.ipv4 - upTotal;
    assert.ok(before >= 2 && before <= 30, `IPv4 frames before the capture: ${before}`);
    for (const side of ['a>b', 'b>a']) {
      const drops: number = log.events.filter((e) => e[0] > before && e[1] === side && e[2] === 'drop').length;
      assert.equal(lost.get(side), drops, `${side}: lost between the points = the relay's drops`);
    }
    assert.ok([...lost.values()].reduce((x, y) => x + y, 0) > 0, 'the relay dropped something (else nothing was tested)');

    // Over time: each direction's intervals add up to its totals, and every interval's delay is the relay's at least.
    const blocks = z.stdout.split(/\n(?=\S+ → \S+\n)/).slice(1);
    assert.equal(blocks.length, 2);
    for (const b of blocks) {
      const [, paired, lostN] = /paired (\d+), lost between the points (\d+)/.exec(b)!;
      const ivs = [...b.matchAll(/^ +(\d+\.\d+) s  paired +(\d+)  lost +(\d+)  delay ms min (\S+) median (\S+) max (\S+)$/gm)];
      assert.ok(ivs.length >= 2, `several intervals over time:\n${b}`);
      assert.equal(ivs.reduce((n, m) => n + Number(m[2]), 0), Number(paired), 'intervals add up to the paired segments');
      assert.equal(ivs.reduce((n, m) => n + Number(m[3]), 0), Number(lostN), 'intervals add up to the lost segments');
      for (const m of ivs) if (m[4] !== '-') assert.ok(Number(m[4]) >= DELAY_MS - 0.5, `interval at ${m[1]} s: min delay ${m[4]} ms`);
    }

    // Where each retransmission was caused. tshark, the capture's identities (IPv4 id, raw sequence
    // number, length) of every frame, and each point's own reading of the retransmissions (each
    // point's frames apart, as a capture there alone would hold them).
    const identity = new Map<number, string>();
    const all = spawnSync('tshark', ['-r', merged, '-T', 'fields', '-e', 'frame.number', '-e', 'ip.id', '-e', 'tcp.seq_raw', '-e', 'tcp.len'], { encoding: 'utf8' });
    assert.equal(all.status, 0, all.stderr);
    for (const l of all.stdout.trim().split('\n')) {
      const [no, id, seq, len] = l.split('\t');
      identity.set(Number(no), `${Number(id)}/${seq}/${len}`);
    }
    const tsharkAt: { retransmitted: Map<string, Set<string>>; spurious: Set<string> }[] = [];
    for (const point of [0, 1]) {
      const side = path.join(dir, `point${point}.pcapng`);
      const w = spawnSync('tshark', ['-r', merged, '-Y', `frame.interface_id == ${point}`, '-w', side], { encoding: 'utf8' });
      assert.equal(w.status, 0, w.stderr);
      const f = spawnSync('tshark', ['-r', side, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.id', '-e', 'tcp.seq_raw', '-e', 'tcp.len', '-e', 'tcp.analysis.retransmission',
        '-e', 'tcp.analysis.fast_retransmission', '-e', 'tcp.analysis.spurious_retransmission', '-e', 'tcp.analysis.out_of_order'], { encoding: 'utf8' });
      assert.equal(f.status, 0, f.stderr);
      const at = { retransmitted: new Map<string, Set<string>>(), spurious: new Set<string>() };
      for (const l of f.stdout.trim().split('\n')) {
        const [src, id, seq, len, rt, fast, spurious, ooo] = l.split('\t');
        const k = `${Number(id)}/${seq}/${len}`;
        if (rt || fast || spurious || ooo) {
          if (!at.retransmitted.has(src)) at.retransmitted.set(src, new Set());
          at.retransmitted.get(src)!.add(k);
        }
        if (spurious) at.spurious.add(k);
      }
      tsharkAt.push(at);
    }
    const dropped = new Set(log.events.filter((e) => e[2] === 'drop' && e[3] !== undefined).map((e) => `${e[3]}/${e[4]}/${e[5]}`));
    let attributed = 0;
    const zCauses: string[] = [];
    for (const b of blocks) {
      const up = Number(/upstream point (\d)/.exec(b)![1]), down = 1 - up;
      const rx = [...b.matchAll(/^    frame (\d+) at point \d, (?:frame (\d+)|not seen) at point \d: (?:repeats ([\d, ]+), (lost) between the points|(spurious), repeats ([\d, ]+), which arrived at point \d|repeats nothing seen)$/gm)];
      const [, total, lostN, spuriousN] = /retransmissions (\d+): caused between the points (\d+), spurious (\d+)/.exec(b)!.map(Number);
      assert.equal(rx.length, total, `every retransmission listed:\n${b}`);
      const lostRx = rx.filter((m) => m[4] === 'lost'), spuriousRx = rx.filter((m) => m[5] === 'spurious');
      for (const m of rx) zCauses.push(`${m[1]} ${m[4] ?? m[5] ?? 'unseen'} ${m[3] ?? m[6] ?? ''}`);
      assert.equal(lostRx.length, lostN);
      assert.equal(spuriousRx.length, spuriousN);
      // The upstream point's retransmissions are the ones tshark finds in that point's capture.
      const direction = b.split('\n')[0];
      const fromIp = direction.split(':')[0];
      const mine = new Set(rx.map((m) => identity.get(Number(m[1]))!));
      const tsharkMine = tsharkAt[up].retransmitted.get(fromIp) ?? new Set<string>();
      assert.deepEqual([...mine].sort(), [...tsharkMine].sort(), `${direction}: retransmissions at the upstream point, tcpwatch and tshark`);
      // Each one caused between the points repeats a segment the relay dropped, and each dropped data segment is repeated so.
      const repeatedLost = new Set<string>();
      for (const m of lostRx) for (const no of m[3].split(', ')) repeatedLost.add(identity.get(Number(no))!);
      for (const k of repeatedLost) assert.ok(dropped.has(k), `${direction}: ${k} repeated as lost between the points, and the relay dropped it`);
      const side = fromIp === ipA ? 'a>b' : 'b>a';
      const droppedData = log.events.filter((e) => e[1] === side && e[2] === 'drop' && (e[5] ?? 0) > 0).map((e) => `${e[3]}/${e[4]}/${e[5]}`);
      for (const k of droppedData) assert.ok(repeatedLost.has(k), `${direction}: the relay dropped data segment ${k}; a retransmission repeats it as lost between the points`);
      attributed += repeatedLost.size;
      // Downstream, tshark calls a retransmission spurious when that point had already seen its data
      // acknowledged: then the data arrived, so tcpwatch must not say it was lost between the points.
      for (const m of rx) {
        if (m[2] === undefined) continue;
        const k = identity.get(Number(m[2]))!;
        if (tsharkAt[down].spurious.has(k)) assert.equal(m[5], 'spurious', `${direction}: frame ${m[2]} is tshark's spurious retransmission at point ${down}`);
      }
      t.diagnostic(`${direction}: ${total} retransmissions, ${lostN} caused between the points, ${spuriousN} spurious; tshark at point ${down} spurious: ${rx.filter((m) => m[2] !== undefined && tsharkAt[down].spurious.has(identity.get(Number(m[2]))!)).length}`);
    }
    assert.ok(attributed > 0, 'some retransmission repeats a dropped segment (else nothing was tested)');

    // --explain: two lanes, one row per transmission; the rows lost between the points are the relay's drops.
    const x = spawnSync(process.execPath, [CLI, '-r', merged, '--explain', '0'], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const lines = x.stdout.split('\n');
    assert.match(lines[1], new RegExp(`^seen at two capture points: point 0 = ${pointA.replace(/[.]/g, '\\.')}, point 1 = ${pointB.replace(/[.]/g, '\\.')}$`));
    assert.match(lines[4], /^\s+No\.\s+point 0\s+point 1\s+delay ms\s+client\s+server$/);
    const laneRows: (RegExpExecArray | null)[] = lines.slice(5).filter((l) => l !== '').map((l) => /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\d+\.\d+)?\s+\|(◀)?/.exec(l));
    assert.ok(laneRows.every((m) => m !== null), 'every row has two lanes');
    for (const side of ['a>b', 'b>a'] as const) {
      // a>b travels from the client (A) to the server: arrows to the right; point 0 (A) upstream.
      const mine = laneRows.filter((m) => (m[5] === undefined) === (side === 'a>b')) as RegExpExecArray[];
      const upLane = side === 'a>b' ? 2 : 3, downLane = side === 'a>b' ? 3 : 2;
      assert.equal(mine.filter((m) => m[downLane] === 'lost').length, lost.get(side), `${side}: rows lost between the points in --explain`);
      assert.ok(mine.every((m) => m[upLane] !== 'lost' && m[upLane] !== 'missed'), `${side}: every transmission seen upstream`);
      const delays = mine.filter((m) => m[4] !== undefined).map((m) => Number(m[4])).sort((p, q) => p - q);
      assert.equal(delays.length + lost.get(side)!, mine.length);
      assert.ok(Math.abs(delays[Math.ceil(delays.length / 2) - 1] - DELAY_MS) < 1, `${side}: median delay in the lanes`);
      const summary = lines.find((l) => l.startsWith(side === 'a>b' ? '  client → server:' : '  server → client:'))!;
      assert.match(summary, new RegExp(`upstream point ${side === 'a>b' ? 0 : 1}, ${delays.length} seen at both, ${lost.get(side)} lost between the points, 0 missed upstream`));
    }
    // The lanes say where each retransmission was caused, as -z pairs does.
    const xCauses = lines.flatMap((l) => {
      const m = /^\s*(\d+)\s.*\[(?:retransmission caused between the points: No\. ([\d, ]+) was lost there|spurious retransmission: No\. ([\d, ]+) had reached point \d|(retransmission of data not seen at the upstream point))\] /.exec(l);
      return m === null ? [] : [`${m[1]} ${m[2] !== undefined ? 'lost' : m[3] !== undefined ? 'spurious' : 'unseen'} ${m[2] ?? m[3] ?? ''}`];
    });
    assert.deepEqual(xCauses.sort(), zCauses.sort(), '--explain and -z pairs name the same retransmissions and causes');

    // The UI's explain view (X) draws the same lanes.
    if (haveTmux()) {
      // Wide enough for a direction's whole summary line.
      const ui = Tmux.start(['-r', merged], {}, 220);
      try {
        await ui.waitForText(/shown \d+ \/ \d+/);
        ui.keys('X');
        const screen = await ui.waitForText('seen at two capture points: point 0 =');
        assert.match(screen, /No\.\s+point 0\s+point 1\s+delay ms\s+client/);
        assert.match(screen, /client → server: upstream point 0, \d+ seen at both.*retransmissions caused between the points \d+, spurious \d+/);
        assert.match(screen, /\|  \[retransmission caused between the points: No\. \d+ was lost there\] /, 'a retransmission\'s row says where it was caused');
      } finally {
        ui.kill();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
