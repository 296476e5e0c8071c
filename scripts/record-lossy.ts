// Records the lossy-path captures of test/lossy-tcp.test.ts into a directory, to look at them
// with tshark and tcpwatch side by side: node dist/scripts/record-lossy.js DIR
import { mkdirSync } from 'node:fs';
import { recordHttpDownload, recordStalledReader, dropFrames } from '../test/helpers/lossy-captures';

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '/tmp/lossy-captures';
  mkdirSync(dir, { recursive: true });
  const imp = { loss: 0.03, reorder: 0.05, dup: 0.01, delayMs: 5 };
  for (const seed of [1, 2]) {
    const t0 = Date.now();
    const r = await recordHttpDownload({ ...imp, seed }, dir, `http-${seed}`, 1_500_000);
    console.log(`http-${seed}`, Date.now() - t0, 'ms', JSON.stringify(r.relay?.stats));
  }
  const t0 = Date.now();
  const z = await recordStalledReader({ ...imp, seed: 3 }, dir, 'stall-3', 600_000, 1500);
  console.log('stall-3', Date.now() - t0, 'ms', JSON.stringify(z.relay?.stats));
  console.log('removed', dropFrames(`${dir}/http-1-server.pcap`, `${dir}/http-1-missed.pcap`, 0.03, 7));
}
main().catch((e) => { console.error(e); process.exit(1); });
