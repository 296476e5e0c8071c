// Ending a tcpwatch process without hanging. Node 20 can wait for ever when its event loop ends
// (nodejs/node#54918, fixed in Node after 20): if a TurboFan job is still compiling on a worker
// thread at that moment and asks the main thread for a garbage collection, the main thread is
// already blocked waiting for the workers, and neither moves again. On a machine whose two cores
// were busy, `tcpwatch -r` of one capture hung so in 9 runs of 40 (the stacks: the main thread in
// NodePlatform::DrainTasks, a worker in CollectionBarrier::AwaitCollectionBackground).
//
// So when its work is done, a process starts no more optimizing compiles and keeps its event loop
// alive a moment: a compile still running finishes, and its request for a collection is served
// while the loop still turns. 0 hangs in 40 under the same load, at the cost of SETTLE_MS per run.

import * as v8 from 'node:v8';

/** Long enough for a compile job already running to end on a busy machine (measured: 30 ms, 0 of 40 hung). */
const SETTLE_MS = 30;

export async function settleBeforeExit(): Promise<void> {
  v8.setFlagsFromString('--no-opt');
  await new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS));
}
