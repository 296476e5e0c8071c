// What Wireshark's vendor table (manuf and wka, behind eth.*.oui_resolved and -N m) costs: it is
// read only when something asks for a vendor (-V, JSON, a field or filter on eth.*.oui_resolved),
// never for a plain -r or -T fields without those fields; and read, it is packed into a few typed
// arrays and one byte store, not a Map of tens of thousands of strings. tshark's agreement on what
// the table says is in name-resolution.test.ts, json-conformance and tree-conformance.
//
// npm test runs this file alone: it bounds the peak memory of tcpwatch's runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, REPO_ROOT } from './helpers/corpus';
import { runMeasured } from './helpers/peak-rss';

const SAMPLE = path.join(REPO_ROOT, 'samples', 'lab.pcapng');
const NAMES_MODULE = path.join(__dirname, '..', 'src', 'fields', 'names.js');
const MB = 1024 * 1024;

/** How many times the run read the vendor table (names.ts counts it; the module is loaded at exit if the run never did). */
function vendorTableLoads(args: string[]): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-vendors-'));
  try {
    const report = path.join(dir, 'loads');
    const preload = path.join(dir, 'preload.js');
    fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, String(require(${JSON.stringify(NAMES_MODULE)}).ethTableLoads)));\n`);
    const r = spawnSync(process.execPath, ['-r', preload, CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    return Number(fs.readFileSync(report, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the vendor table is read only by runs that ask for a vendor, and then once', () => {
  for (const args of [[], ['-T', 'fields', '-e', 'frame.number', '-e', 'eth.src', '-e', 'ip.src'], ['-Y', 'tcp.port == 8989'], ['-z', 'conv,tcp', '-q']]) {
    assert.equal(vendorTableLoads(['-r', SAMPLE, ...args]), 0, `-r ${args.join(' ')}`);
  }
  for (const args of [['-V'], ['-T', 'json'], ['-T', 'fields', '-e', 'eth.src.oui_resolved'], ['-Y', 'eth.addr.oui_resolved contains "Xerox"']]) {
    assert.equal(vendorTableLoads(['-r', SAMPLE, ...args]), 1, `-r ${args.join(' ')}`);
  }
});

/**
 * Each bound is over a run of the same kind that reads no vendor table, measured here, so that
 * node's own start (about 70 MB for a plain -r) is not part of it. With manuf in a Map of strings,
 * reading eth.src.oui_resolved cost 38 MB over -T fields -e frame.number, and -V 51 MB over a plain
 * -r; packed, they cost about 8 and 24 MB (-V's own tree is most of the 24: 16 MB without any vendor).
 */
const VENDOR_FIELD_OVER_FIELDS = 16 * MB;
const DETAILS_OVER_PLAIN = 35 * MB;

test(`reading the vendor table costs less than ${VENDOR_FIELD_OVER_FIELDS / MB} MB of peak memory, -V on the sample less than ${DETAILS_OVER_PLAIN / MB} MB over a plain -r`, () => {
  const peak = (args: string[]): number => {
    const m = runMeasured(['-r', SAMPLE, ...args], 60_000);
    assert.equal(m.status, 0, m.stderr);
    return m.peakRss;
  };
  const fields = peak(['-T', 'fields', '-e', 'frame.number']);
  const vendors = peak(['-T', 'fields', '-e', 'frame.number', '-e', 'eth.src.oui_resolved']);
  const plain = peak([]);
  const details = peak(['-V']);
  const mb = (b: number): string => `${(b / MB).toFixed(1)} MB`;
  assert.ok(vendors - fields <= VENDOR_FIELD_OVER_FIELDS, `-e eth.src.oui_resolved ${mb(vendors)}, without it ${mb(fields)}`);
  assert.ok(details - plain <= DETAILS_OVER_PLAIN, `-V ${mb(details)}, plain -r ${mb(plain)}`);
});
