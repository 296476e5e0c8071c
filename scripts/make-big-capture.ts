// Makes a large capture for benchmarks by replicating a real one: each copy of the source's frames
// gets its TCP/UDP ports shifted and its timestamps moved on, so streams stay distinct and time
// keeps increasing. The source is real loopback traffic recorded by tcpwatch's own lab tools
// (samples/lab.pcapng) unless another capture is named.
//
//   node dist/scripts/make-big-capture.js [--frames N] [--from FILE] OUT.pcap

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { PcapWriter } from '../src/capture/file-writer';
import { Dissection } from '../src/decode/dissection';
import { decodeFrame } from '../src/decode/decoder';

export const DEFAULT_SOURCE = path.resolve(__dirname, '..', '..', 'samples', 'lab.pcapng');

interface Template { bytes: Buffer; linkType: number; tsSec: number; tsNsec: number; origLen: number; sportOff: number; dportOff: number }

export function makeBigCapture(out: string, frames: number, from = DEFAULT_SOURCE): { frames: number; bytes: number; source: string } {
  const reader = new CaptureFileReader(from);
  const f = new CapturedFrame();
  const d = new Dissection();
  const templates: Template[] = [];
  while (reader.next(f)) {
    decodeFrame(d, f.buf, f.off, f.capLen, f.linkType);
    const portOff = d.tcpOff >= 0 ? d.tcpOff : d.udpOff;
    templates.push({
      bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)), linkType: f.linkType, tsSec: f.tsSec, tsNsec: f.tsNsec,
      origLen: f.origLen, sportOff: portOff >= 0 ? portOff - f.off : -1, dportOff: portOff >= 0 ? portOff - f.off + 2 : -1,
    });
  }
  reader.close();
  if (templates.length === 0) throw new Error(`${from}: no frames to replicate`);
  const linkType = templates[0].linkType;
  const usable = templates.filter((t) => t.linkType === linkType);
  const span = usable[usable.length - 1].tsSec - usable[0].tsSec + 1;
  const w = new PcapWriter(out, linkType);
  const frame = new CapturedFrame();
  let written = 0;
  for (let copy = 0; written < frames; copy++) {
    for (const t of usable) {
      if (written === frames) break;
      const b = Buffer.from(t.bytes);
      // Shift both ports of every copy alike, keeping each port's side of the conversation.
      if (t.sportOff >= 0 && t.dportOff + 2 <= b.length) {
        const shift = (copy * 7) % 20000;
        const sp = b.readUInt16BE(t.sportOff), dp = b.readUInt16BE(t.dportOff);
        if (sp > dp) b.writeUInt16BE(((sp - 30000 + shift) % 30000) + 30000, t.sportOff);
        else b.writeUInt16BE(((dp - 30000 + shift) % 30000) + 30000, t.dportOff);
      }
      frame.buf = b; frame.off = 0; frame.capLen = b.length; frame.origLen = t.origLen; frame.linkType = linkType;
      frame.tsSec = t.tsSec + copy * span; frame.tsNsec = t.tsNsec;
      w.write(frame);
      written++;
    }
  }
  w.close();
  return { frames: written, bytes: fs.statSync(out).size, source: from };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let frames = 1_000_000, from = DEFAULT_SOURCE, out = '';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--frames') frames = Number(args[++i]);
    else if (args[i] === '--from') from = args[++i];
    else out = args[i];
  }
  if (!out || !(frames > 0)) {
    process.stderr.write('usage: make-big-capture [--frames N] [--from FILE] OUT.pcap\n');
    process.exit(2);
  }
  const r = makeBigCapture(out, frames, from);
  process.stdout.write(`${out}: ${r.frames} frames, ${r.bytes} bytes, replicated from ${r.source}\n`);
}
