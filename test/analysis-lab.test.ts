// The seed scenario on the wire: the lab chat server on loopback (lab mode: it answers "Hi\n" and
// closes first), captured with tcpdump, read back through tcpwatch's pipeline. Every segment's role
// in the connection, its relative numbers, and the conversation table are what a learner reads off
// Wireshark for this exchange.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLabChatExchange, startChatServer } from '../src/lab/chat';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { TcpRole, TcpState, TCP_ROLE_NAMES } from '../src/analysis/tcp-analysis';
import { conversationTable } from '../src/analysis/conversations';
import { tcpFlagsList } from '../src/fields/tcp';
import { startTcpdump, Tcpdump } from './helpers/tcpdump';
import { have, isRoot } from './helpers/system';

const canCapture = isRoot && have('tcpdump');

interface Row {
  from: 'C' | 'S';
  flags: string;
  seq: number;
  ack: number;
  len: number;
  payload: string;
  role: string;
  step: number;
}

test('lab chat on port N: handshake steps 1-3, "Hey" as data, server FIN first, four-way teardown', { skip: canCapture ? false : 'needs root and tcpdump' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-analysis-lab-'));
  const pcap = join(dir, 'lab.pcap');
  const server = await startChatServer({ host: '127.0.0.1', port: 0, closeAfterReply: true });
  let dump: Tcpdump | null = null;
  try {
    dump = await startTcpdump(pcap, `tcp port ${server.port}`);
    const result = await runLabChatExchange({ host: '127.0.0.1', port: server.port });
    assert.equal(result.reply.trim(), 'Hi');
    assert.ok(result.serverClosedFirst);
    await dump.stop();
    dump = null;

    const pipeline = new Pipeline({ sink: null });
    const reader = new CaptureFileReader(pcap);
    const frame = new CapturedFrame();
    const rows: Row[] = [];
    const sp = server.port;
    const d = pipeline.d;
    while (reader.next(frame)) {
      pipeline.handle(frame);
      assert.equal(d.tcp.stream, 0);
      rows.push({
        from: d.srcPort === sp ? 'S' : 'C',
        flags: tcpFlagsList(d.tcpFlags),
        seq: d.tcp.relSeq,
        ack: d.tcp.relAck,
        len: d.payloadLen,
        payload: d.buf.toString('latin1', d.payloadOff, d.payloadOff + d.payloadCapLen),
        role: TCP_ROLE_NAMES[d.tcp.role],
        step: d.tcp.teardownStep,
      });
      // The client's side is direction 0 throughout.
      assert.equal(d.tcp.direction, d.srcPort === sp ? 1 : 0);
      assert.equal(d.tcp.flags, 0, `frame ${d.number}: no analysis finding on a clean exchange`);
    }
    reader.close();
    const text = rows.map((r) => `${r.from} [${r.flags}] Seq=${r.seq} Ack=${r.ack} Len=${r.len}${r.payload ? ' ' + JSON.stringify(r.payload) : ''} ${r.role}${r.step ? ' #' + r.step : ''}`);
    assert.deepEqual(text, [
      'C [SYN] Seq=0 Ack=0 Len=0 handshake step 1 (SYN)',
      'S [SYN, ACK] Seq=0 Ack=1 Len=0 handshake step 2 (SYN/ACK)',
      'C [ACK] Seq=1 Ack=1 Len=0 handshake step 3 (ACK)',
      'C [PSH, ACK] Seq=1 Ack=1 Len=3 "Hey" data',
      'S [ACK] Seq=1 Ack=4 Len=0 ACK',
      'S [PSH, ACK] Seq=1 Ack=4 Len=3 "Hi\\n" data',
      'C [ACK] Seq=4 Ack=4 Len=0 ACK',
      'S [FIN, ACK] Seq=4 Ack=4 Len=0 teardown FIN #1',
      'C [ACK] Seq=4 Ack=5 Len=0 teardown ACK #2',
      'C [FIN, ACK] Seq=4 Ack=5 Len=0 teardown FIN #3',
      'S [ACK] Seq=5 Ack=5 Len=0 teardown ACK #4',
    ]);
    // The enum values the UI and the explain view use, on the same segments.
    assert.equal(TCP_ROLE_NAMES[TcpRole.HandshakeSyn], rows[0].role);
    assert.equal(d.tcp.state & (TcpState.Closed | TcpState.Reset), TcpState.Closed);

    const [conv] = conversationTable(pipeline.streams);
    assert.equal(pipeline.streams.conversations.length, 1);
    assert.equal(conv.clientAddress, '127.0.0.1');
    assert.equal(conv.serverAddress, '127.0.0.1');
    assert.equal(conv.serverPort, sp);
    assert.equal(conv.packetsToServer, 6);
    assert.equal(conv.packetsToClient, 5);
    assert.equal(conv.payloadToServer, 3);
    assert.equal(conv.payloadToClient, 3);
    assert.ok(conv.bytesToServer > conv.payloadToServer && conv.bytesToClient > conv.payloadToClient);
    assert.equal(conv.firstFrame, 1);
    assert.equal(conv.lastFrame, 11);
    assert.ok(conv.duration >= 0 && conv.duration < 10, String(conv.duration));
    assert.equal(conv.stateText, 'closed');
  } finally {
    dump?.proc.kill('SIGKILL');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
