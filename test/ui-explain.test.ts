// The explain view in a real terminal (tmux): X on a packet of the bundled sample's chat stream draws
// the client/server ladder with the lab's sentences, the same ones `--explain` prints; X on a packet
// outside TCP says so instead of opening an empty view.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { REPO_ROOT } from './helpers/corpus';
import { Tmux, haveTmux } from './helpers/tmux';

const skip = haveTmux() ? false : 'tmux is not installed';
const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');

test('X on the chat stream: the ladder with a sentence per packet, handshake to teardown', { skip }, async () => {
  const t = Tmux.start(['-r', SAMPLE], { SSLKEYLOGFILE: '' });
  try {
    await t.waitForText('shown 55 / 55');
    t.keys('j', 'j', 'j', 'X');
    const s = await t.waitForText('Explain TCP stream 0');
    assert.match(s, /TCP stream 0: client 127\.0\.0\.1:\d+ ⇄ server 127\.0\.0\.1:8989, 11 packets/);
    assert.match(s, /\[SYN\] Seq=0 Len=0 ─+▶\|\s+Client sends SYN to start the connection; its initial sequence number is shown as Seq=0/);
    assert.match(s, /Client completes the three-way handshake/);
    assert.match(s, /Client pushes 3 bytes of data \("Hey"\); PSH asks the receiver to pass it to the application/);
    assert.match(s, /Server sends FIN: it has no more data; ACK=4 confirms everything received/);
    assert.match(s, /Final ACK completes the four-way teardown/);
    t.keys('Escape');
    await t.waitForText('Packet details');
  } finally {
    t.kill();
  }
});
