// The live UI's spool (src/capture/spool.ts): the capture process appends records (each naming its
// interface) and announces how far they are whole; the UI indexes them as they come and reads any
// frame back through a block cache bounded by --memory-budget. Real frames from the corpus, written the way
// capture-child.ts writes them.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { FrameRef } from '../src/store/frames';
import { createSpoolFile, spoolFileHeader, SpoolReader, SPOOL_HEADER_LEN, SPOOL_RECORD_HEADER_LEN, writeSpoolRecordHeader } from '../src/capture/spool';

const corpus = corpusDir();
const BLOCK = 64 * 1024;

interface Frame { tsSec: number; tsNsec: number; origLen: number; bytes: Buffer; ifIndex: number; linkType: number }

function framesOf(file: string): { linkType: number; frames: Frame[] } {
  const r = new CaptureFileReader(file);
  const f = new CapturedFrame();
  const frames: Frame[] = [];
  try {
    // As a capture on several -i: each record says its interface (and that interface's link type).
    while (r.next(f)) {
      const ifIndex = frames.length % 3;
      frames.push({ tsSec: f.tsSec, tsNsec: f.tsNsec, origLen: f.origLen, bytes: Buffer.from(f.buf.subarray(f.off, f.off + f.capLen)), ifIndex, linkType: ifIndex === 2 ? 113 : f.linkType });
    }
    return { linkType: f.linkType, frames };
  } finally {
    r.close();
  }
}

function record(fr: Frame): Buffer {
  const b = Buffer.alloc(SPOOL_RECORD_HEADER_LEN + fr.bytes.length);
  const f = new CapturedFrame().wrap(fr.bytes, fr.linkType, fr.tsSec, fr.tsNsec);
  f.origLen = fr.origLen;
  f.ifIndex = fr.ifIndex;
  writeSpoolRecordHeader(b, 0, f);
  fr.bytes.copy(b, SPOOL_RECORD_HEADER_LEN);
  return b;
}

test('spool: frames announced in pieces are indexed once each, in order, and read back unchanged through a cache of two blocks', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const { linkType, frames } = framesOf(path.join(corpus!, 'valid', 'ja4', 'tls3.pcapng'));
  assert.ok(frames.length > 500);
  const fd = createSpoolFile();
  const spool = new SpoolReader(fd, linkType, 2 * BLOCK);
  const writer = fs.openSync(`/proc/self/fd/${fd}`, 'r+');
  try {
    fs.writeSync(writer, spoolFileHeader(linkType), 0, SPOOL_HEADER_LEN, 0);
    let pos = SPOOL_HEADER_LEN;
    const offsets: number[] = [];
    const onFrame = (f: CapturedFrame): void => {
      const want = frames[offsets.length];
      assert.ok(want !== undefined, 'no more frames than were written');
      assert.equal(f.capLen, want.bytes.length);
      assert.equal(f.origLen, want.origLen);
      assert.equal(f.tsSec, want.tsSec);
      assert.equal(f.tsNsec, want.tsNsec);
      assert.equal(f.ifIndex, want.ifIndex);
      assert.equal(f.linkType, want.linkType);
      assert.ok(f.buf.subarray(f.off, f.off + f.capLen).equals(want.bytes), `frame ${offsets.length + 1}`);
      offsets.push(spool.appendFrame(f));
    };
    // Pieces of 1 to 601 records, each announced once written; half of the reads stop at a deadline
    // already past (the UI's slice), the other half read all that is announced.
    for (let i = 0, piece = 1; i < frames.length; piece = (piece * 7) % 601 + 1) {
      for (const fr of frames.slice(i, i + piece)) {
        const rec = record(fr);
        fs.writeSync(writer, rec, 0, rec.length, pos);
        pos += rec.length;
      }
      i += piece;
      spool.announce(pos);
      while (spool.readNew(onFrame, piece % 2 === 0 ? -1 : Infinity));
    }
    assert.equal(offsets.length, frames.length, 'every frame indexed once');
    // A frame past the announced end is not read, however much of it is on disk.
    const extra = record(frames[0]);
    fs.writeSync(writer, extra, 0, extra.length, pos);
    const ref = new FrameRef();
    assert.equal(spool.read(pos + SPOOL_RECORD_HEADER_LEN, frames[0].bytes.length, ref), false);
    // Read back out of order (a stride through the capture): bytes equal, cache within its bound.
    for (let k = 0, i = 0; k < frames.length; k++, i = (i + 389) % frames.length) {
      assert.ok(spool.read(offsets[i], frames[i].bytes.length, ref), `read frame ${i + 1}`);
      assert.ok(ref.buf.subarray(ref.off, ref.off + frames[i].bytes.length).equals(frames[i].bytes), `frame ${i + 1} read back`);
      assert.ok(spool.cachedBytes <= 2 * BLOCK, `cache holds ${spool.cachedBytes} bytes`);
    }
    assert.ok(spool.blockReads > 2, 'blocks were read into the cache and reused');
    assert.ok(spool.directReads > 0, 'frames in the last, unfinished block were read directly');
  } finally {
    fs.closeSync(writer);
    spool.close();
  }
});
