// The statistics dashboard (S), drawn with blessed-contrib: packets/s and bytes/s over time, the
// protocol and TCP-flag mix, top talkers, TLS versions and server names. blessed-contrib is loaded
// only when the dashboard is first opened (it takes longer to load than the rest of the UI).
// Its tables parse blessed tags, so every text from packets is sanitized and then escaped.

import type * as blessed from 'blessed';
import { box, baseRender } from '../widgets/blessed-core';
import { put, fit } from '../widgets/paint';
import type * as contribTypes from 'blessed-contrib';
import { PacketStore } from '../../store/packet-store';
import { captureStats, CaptureStats } from '../../store/stats';
import { PacketList } from '../../store/conversations';
import { sanitizeText } from '../../output/sanitize';
import { Bar } from '../widgets/bar';
import { Theme } from '../theme';
import { humanBytes } from './conversations';

/** Packet text for a widget that parses blessed tags: no escapes, no markup ({ and } as blessed's {open} and {close}). */
export function tagSafe(s: string): string {
  return sanitizeText(s).replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

export class StatsView {
  readonly title: Bar;
  private box: blessed.Element | null = null;
  stats: CaptureStats | null = null;

  constructor(private readonly parent: blessed.Screen, private readonly store: PacketStore, private readonly theme: Theme) {
    this.title = new Bar({ parent, top: 0, left: 0, width: '100%', height: 1, hidden: true });
    this.title.fillAttr = theme.titleFocused;
  }

  get visible(): boolean {
    return this.box !== null;
  }

  private shown: PacketList | null = null;
  private filter = '';

  /** Open the dashboard; with `shown` (the display filter's matches) it counts only what the filter shows. */
  show(height: number, shown: PacketList | null = null, filter = ''): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const contrib = require('blessed-contrib') as typeof contribTypes;
    this.shown = shown;
    this.filter = filter;
    const st = captureStats(this.store.index, this.store.index.count, shown);
    this.stats = st;
    this.title.segments = [
      { text: ` Statistics: ${st.packets} packets, ${humanBytes(st.bytes)}, ${st.duration.toFixed(3)} s`, attr: this.theme.titleFocused },
      ...(shown !== null ? [{ text: ` shown by ${sanitizeText(filter)}`, attr: this.theme.titleFocused, shrink: true }] : []),
      { text: '   Esc: back', attr: this.theme.titleFocused },
    ];
    this.title.el.show();
    this.title.el.setFront();
    const container = box({ parent: this.parent, top: 1, left: 0, width: '100%', height: Math.max(6, height - 1), tags: false });
    this.box = container;
    const color = this.theme.mode !== 'none';
    const grid = new contrib.grid({ rows: 12, cols: 12, screen: container });
    const xs = st.packetsPerSecond.map((_, k) => (k * st.bucketSeconds).toFixed(st.bucketSeconds < 1 ? 3 : 0));
    const every = `every ${st.bucketSeconds < 1 ? `${Math.round(st.bucketSeconds * 1000)} ms` : `${st.bucketSeconds} s`}`;
    const pkts = grid.set(0, 0, 4, 6, contrib.line, {
      label: ` packets/s (${every}) `, showLegend: false, wholeNumbersOnly: true, minY: 0,
      style: { line: color ? 'yellow' : 'white', text: color ? 'green' : 'white', baseline: 'white' },
    });
    pkts.setData([{ title: 'packets', x: xs, y: st.packetsPerSecond.map(Math.round) }]);
    const bytes = grid.set(0, 6, 4, 6, contrib.line, {
      label: ` bytes/s (${every}) `, showLegend: false, wholeNumbersOnly: true, minY: 0,
      style: { line: color ? 'cyan' : 'white', text: color ? 'green' : 'white', baseline: 'white' },
    });
    bytes.setData([{ title: 'bytes', x: xs, y: st.bytesPerSecond.map(Math.round) }]);
    // Counts and tables are drawn cell by cell in boxes of the grid (textPanel): blessed-contrib's
    // bar charts and tables place text by fixed widths and overprinted their own labels on an
    // 80-column terminal ("SY5").
    const panel = (row: number, col: number, rows: number, cols: number, label: string, draw: PanelDraw): void => {
      grid.set(row, col, rows, cols, (o: blessed.ElementOptions) => textPanel(o, label, draw, this.theme), {});
    };
    const protos = st.protocols.filter((c) => c.packets > 0);
    panel(4, 0, 4, 6, ' protocols (packets) ', countsDraw(protos.map((c) => [sanitizeText(c.name), c.packets]), this.theme));
    panel(4, 6, 4, 6, ' TCP flags (packets) ', countsDraw(st.tcpFlags.map((c) => [c.name, c.packets]), this.theme));
    panel(8, 0, 4, 5, ' top talkers (by source) ', tableDraw(['address', 'packets', 'bytes'],
      st.talkers.map((c) => [sanitizeText(c.name), String(c.packets), humanBytes(c.bytes)]), this.theme));
    panel(8, 5, 4, 3, ' TLS versions (streams) ', tableDraw(['version', 'streams'],
      st.tlsVersions.length ? st.tlsVersions.map((c) => [sanitizeText(c.name), String(c.packets)]) : [['none seen', '']], this.theme));
    panel(8, 8, 4, 4, ' TLS server names (SNI) ', tableDraw(['server name', 'streams'],
      st.serverNames.length ? st.serverNames.map((c) => [sanitizeText(c.name), String(c.packets)]) : [['none seen', '']], this.theme));
    container.setFront();
  }

  /** The grid's panels are laid out for one size: drawn again for the new one. */
  resize(height: number): void {
    if (this.box === null) return;
    const shown = this.shown, filter = this.filter;
    this.hide();
    this.show(height, shown, filter);
  }

  hide(): void {
    this.title.el.hide();
    if (this.box) {
      this.box.destroy();
      this.box = null;
    }
  }
}

/** Draws a panel's inside: lines[y] from x0 to x1 (exclusive), `rows` lines. */
type PanelDraw = (lines: blessed.ScreenLine[], x0: number, x1: number, y0: number, rows: number) => void;

/** A bordered box of the dashboard whose inside is drawn by `draw` (no markup, no contrib layout). */
function textPanel(o: blessed.ElementOptions, label: string, draw: PanelDraw, theme: Theme): blessed.Element {
  const el = box({ ...o, label, tags: false, style: { border: { fg: theme.mode === 'none' ? 'white' : 'cyan' } } } as blessed.ElementOptions);
  el.render = () => {
    const c = baseRender.call(el);
    if (c) draw(el.screen.lines, c.xi + 1, c.xl - 1, c.yi + 1, c.yl - c.yi - 2);
    return c;
  };
  return el;
}

/**
 * Name and count pairs: one a line with a bar when the panel is tall enough, else as many a line
 * as fit ("SYN 2  SYN/ACK 2  ACK 11"), so nothing is drawn over anything else at any size.
 */
function countsDraw(items: [string, number][], theme: Theme): PanelDraw {
  return (lines, x0, x1, y0, rows) => {
    const width = x1 - x0;
    if (width <= 0 || rows <= 0) return;
    if (items.length <= rows) {
      const nameW = Math.min(Math.max(...items.map(([n]) => n.length), 1), Math.max(4, Math.floor(width / 3)));
      const numW = Math.max(...items.map(([, v]) => String(v).length), 1);
      const max = Math.max(1, ...items.map(([, v]) => v));
      const room = Math.max(0, width - nameW - numW - 3);
      items.forEach(([name, v], k) => {
        const line = lines[y0 + k];
        let x = put(line, x0, x1, fit(name, nameW) + ' ' + String(v).padStart(numW) + ' ', theme.help);
        x = put(line, x, x1, '\u2588'.repeat(Math.round((v / max) * room)), theme.helpKey);
      });
      return;
    }
    let y = 0, x = x0;
    for (const [name, v] of items) {
      const cell = `${name} ${v}`;
      if (x > x0 && x + cell.length > x1) {
        y++;
        x = x0;
      }
      if (y >= rows) return;
      x = put(lines[y0 + y], x, x1, cell, theme.help) + 2;
    }
  };
}

/** A table: the first column takes what the others leave (cut with "…"), the others are right-aligned. */
function tableDraw(headers: string[], rows: string[][], theme: Theme): PanelDraw {
  return (lines, x0, x1, y0, height) => {
    const width = x1 - x0;
    if (width <= 0 || height <= 0) return;
    const all = [headers, ...rows];
    const w = headers.map((_, k) => Math.max(...all.map((r) => (r[k] ?? '').length)));
    const rest = w.slice(1).reduce((a, b) => a + b + 1, 0);
    const first = Math.max(4, Math.min(w[0], width - rest - 1));
    all.slice(0, height).forEach((r, k) => {
      const text = [fit(r[0], first), ...r.slice(1).map((v, c) => v.padStart(w[c + 1]))].join(' ');
      put(lines[y0 + k], x0, x1, text, k === 0 ? theme.helpKey : theme.help);
    });
  };
}
