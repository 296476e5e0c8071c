// NBNS as tshark 4.0 shows it (src/protocols/nbns/): real name service traffic between Samba's nmbd
// and nmblookup, recorded here (test/helpers/netbios.ts), read by tshark and tcpwatch: every field
// NBNS registers and the Protocol/Info columns frame by frame, the NBNS subtree of -V line by line,
// and display filters selecting the same frames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './helpers/corpus';
import { filterDisagreements } from './helpers/filter-agreement';
import { have, isRoot } from './helpers/system';
import { recordNameService, SERVER_NAME, WORKGROUP } from './helpers/netbios';

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
const tcpwatch = (args: string[]): string => run(process.execPath, [CLI, ...args]);

/** Every field tshark 4.0 registers for NBNS (tshark -G fields), in its order. */
const NBNS_FIELDS = [
  'nbns.flags', 'nbns.flags.response', 'nbns.flags.opcode', 'nbns.flags.authoritative', 'nbns.flags.truncated',
  'nbns.flags.recdesired', 'nbns.flags.recavail', 'nbns.flags.broadcast', 'nbns.flags.rcode', 'nbns.id', 'nbns.count.queries',
  'nbns.count.answers', 'nbns.count.auth_rr', 'nbns.count.add_rr', 'nbns.name_flags', 'nbns.name_flags.group', 'nbns.name_flags.ont',
  'nbns.name_flags.drg', 'nbns.name_flags.cnf', 'nbns.name_flags.act', 'nbns.name_flags.prm', 'nbns.nb_flags', 'nbns.nb_flags.group',
  'nbns.nb_flags.ont', 'nbns.type', 'nbns.class', 'nbns.name', 'nbns.addr', 'nbns.number_of_names', 'nbns.unit_id', 'nbns.jumpers',
  'nbns.test_result', 'nbns.version_number', 'nbns.period_of_statistics', 'nbns.num_crcs', 'nbns.num_alignment_errors',
  'nbns.num_collisions', 'nbns.num_send_aborts', 'nbns.num_good_sends', 'nbns.num_good_receives', 'nbns.numretransmits',
  'nbns.num_no_resource_conditions', 'nbns.numcommand_blocks', 'nbns.numpending_sessions', 'nbns.max_num_pending_sessions',
  'nbns.max_total_sessions_possible', 'nbns.session_data_packet_size', 'nbns.data', 'nbns.netbios_name', 'nbns.ttl',
  'nbns.data_length', 'nbns.incomplete_entry',
];
const COLUMNS = ['frame.number', 'frame.protocols', '_ws.col.Protocol', '_ws.col.Info'];

const live = !isRoot ? 'needs root (network namespaces, tcpdump)'
  : !['nmbd', 'nmblookup', 'tcpdump', 'tshark', 'ip'].every(have) ? 'needs nmbd and nmblookup (Debian samba, smbclient), tcpdump, tshark and ip' : false;

/** The NBNS subtrees of a -V text, each with its frame's number. */
function nbnsTrees(text: string): string[] {
  const out: string[] = [];
  let frame = '';
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('Frame ')) frame = line.split(':')[0];
    if (!line.startsWith(' ')) inside = line === 'NetBIOS Name Service';
    if (inside) out.push(`${frame} ${line}`);
  }
  return out;
}

test('nmblookup against nmbd: every NBNS field, the columns, the tree and filters agree with tshark', { skip: live, timeout: 120_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-nbns-'));
  try {
    const started = Date.now();
    const pcap = await recordNameService(dir);
    if (process.env.TCPWATCH_KEEP_NBNS_CAPTURE) fs.copyFileSync(pcap, process.env.TCPWATCH_KEEP_NBNS_CAPTURE);
    t.diagnostic(`recorded in ${Date.now() - started} ms`);

    const args = ['-r', pcap, '-T', 'fields', ...[...COLUMNS, ...NBNS_FIELDS].flatMap((f) => ['-e', f])];
    const want = run('tshark', ['-n', ...args]);
    const got = tcpwatch(args);
    const wantRows = want.split('\n').filter(Boolean);
    const gotRows = got.split('\n').filter(Boolean);
    assert.equal(gotRows.length, wantRows.length);
    const differing = wantRows.flatMap((row, i) => (row === gotRows[i] ? [] : [`tshark:   ${row}\ntcpwatch: ${gotRows[i]}`]));
    assert.deepEqual(differing, []);
    t.diagnostic(`${wantRows.length} NBNS frames, ${COLUMNS.length + NBNS_FIELDS.length} fields each: all agree`);

    // What was recorded is what nmbd and nmblookup said: registrations with their additional record,
    // positive and negative answers, and node status answers listing the server's names.
    const info = wantRows.map((r) => r.split('\t')[3]);
    const row = (name: string): string[] => wantRows.map((r) => r.split('\t')[COLUMNS.length + NBNS_FIELDS.indexOf(name)]);
    assert.ok(info.includes(`Registration NB ${SERVER_NAME}<20>`), info.join('\n'));
    assert.ok(info.includes('Name query response NB 10.137.0.1'));
    assert.ok(info.includes('Name query response, Requested name does not exist Unknown'));
    assert.ok(info.includes(`Name query NBSTAT ${SERVER_NAME}<00>`) && info.includes('Name query response NBSTAT'));
    assert.ok(row('nbns.count.add_rr').includes('1'));
    assert.ok(row('nbns.netbios_name').some((v) => v.split(',').includes(WORKGROUP) && v.split(',').includes(SERVER_NAME)));
    assert.ok(row('nbns.ttl').some((v) => Number(v) > 0));

    // The tree: tshark's NBNS lines, every one (names resolved by neither).
    const theirs = nbnsTrees(run('tshark', ['-n', '-r', pcap, '-V']));
    const ours = nbnsTrees(tcpwatch(['-n', '-r', pcap, '-V']));
    assert.ok(theirs.length > 200, `tshark's NBNS lines: ${theirs.length}`);
    assert.deepEqual(ours, theirs);

    // Few filters, each over several fields: every one costs a tshark and a tcpwatch run.
    assert.deepEqual(await filterDisagreements([pcap], [
      'nbns.flags.response == 1', 'nbns.name contains "GRP"', `nbns.addr == 10.137.0.1 && nbns.name == "${SERVER_NAME}<00> (Workstation/Redirector)"`,
      'nbns.type == 33 && nbns.name_flags.group == 1 && nbns.netbios_name == "TCPWATCHGRP"', 'nbns.flags.rcode == 3 || (nbns.flags.broadcast && nbns.count.add_rr == 1)',
]), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
