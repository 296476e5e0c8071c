// The statistics dashboard (S), drawn with blessed-contrib: packets/s and bytes/s over time, the
// protocol and TCP-flag mix, top talkers, TLS versions and server names. blessed-contrib is loaded
// only when the dashboard is first opened (it takes longer to load than the rest of the UI).
// Its tables parse blessed tags, so every text from packets is sanitized and then escaped.

import type * as blessed from 'blessed';
import { box } from '../widgets/blessed-core';
import type * as contribTypes from 'blessed-contrib';
import { PacketStore } from '../../store/packet-store';
import { captureStats, CaptureStats, Count } from '../../store/stats';
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

  show(height: number): void {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const contrib = require('blessed-contrib') as typeof contribTypes;
    const st = captureStats(this.store.index);
    this.stats = st;
    this.title.segments = [
      { text: ` Statistics: ${st.packets} packets, ${humanBytes(st.bytes)}, ${st.duration.toFixed(3)} s`, attr: this.theme.titleFocused },
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
    const top = (list: Count[], n: number): Count[] => list.filter((c) => c.packets > 0).slice(0, n);
    const protos = top(st.protocols, 7);
    const protoBar = grid.set(4, 0, 4, 6, contrib.bar, {
      label: ' protocols (packets) ', barWidth: 7, barSpacing: 10, xOffset: 1, maxHeight: 1,
      barBgColor: color ? 'magenta' : 'white', labelColor: 'white',
    });
    protoBar.setData({ titles: protos.map((c) => sanitizeText(c.name).slice(0, 9)), data: protos.map((c) => c.packets) });
    const flags = st.tcpFlags;
    const flagBar = grid.set(4, 6, 4, 6, contrib.bar, {
      label: ' TCP flags (packets) ', barWidth: 7, barSpacing: 10, xOffset: 1, maxHeight: 1,
      barBgColor: color ? 'green' : 'white', labelColor: 'white',
    });
    flagBar.setData({ titles: flags.map((c) => c.name), data: flags.map((c) => c.packets) });
    const talkers = grid.set(8, 0, 4, 5, contrib.table, {
      label: ' top talkers (by source) ', interactive: false, columnSpacing: 2, columnWidth: [40, 10, 12],
      fg: color ? 'white' : undefined,
    });
    talkers.setData({
      headers: ['address', 'packets', 'bytes'],
      data: st.talkers.map((c) => [tagSafe(c.name), String(c.packets), humanBytes(c.bytes)]),
    });
    const versions = grid.set(8, 5, 4, 3, contrib.table, {
      label: ' TLS versions (streams) ', interactive: false, columnSpacing: 2, columnWidth: [12, 8],
    });
    versions.setData({
      headers: ['version', 'streams'],
      data: st.tlsVersions.length ? st.tlsVersions.map((c) => [tagSafe(c.name), String(c.packets)]) : [['none seen', '']],
    });
    const names = grid.set(8, 8, 4, 4, contrib.table, {
      label: ' TLS server names (SNI) ', interactive: false, columnSpacing: 2, columnWidth: [34, 8],
    });
    names.setData({
      headers: ['server name', 'streams'],
      data: st.serverNames.length ? st.serverNames.map((c) => [tagSafe(c.name), String(c.packets)]) : [['none seen', '']],
    });
    container.setFront();
  }

  resize(height: number): void {
    if (this.box) this.box.height = Math.max(6, height - 1);
  }

  hide(): void {
    this.title.el.hide();
    if (this.box) {
      this.box.destroy();
      this.box = null;
    }
  }
}
