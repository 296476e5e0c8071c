// The lab's subcommands: `tcpwatch chat serve|connect`, `tcpwatch tls serve` and `tcpwatch demo`.
// They install themselves through addCommands so that cli.ts does not need to know them.
//
// Commander lets the main program's options (-c, --no-ui, --keylog …) appear after a subcommand
// too, and then the main program takes them; each action therefore reads its options with
// optsWithGlobals(), which merges both, whichever side parsed them.

import type { Command } from 'commander';
import { addCommands } from '../hooks';
import { UsageError } from '../errors';
import { sanitizeText } from '../output/sanitize';
import { DEFAULT_CHAT_PORT, runChatClient, startChatServer } from '../lab/chat';
import { startTlsServer } from '../lab/tls-server';
import { DEFAULT_TLS_PORT } from '../lab/scenario';
import { runDemo } from './demo';

/** A TCP port as the user typed it: a whole number from 1 to 65535 (0 would mean "any port"). */
export function parsePort(v: string): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
    throw new UsageError(`invalid port "${v}": expected a whole number from 1 to 65535`);
  }
  return Number(v);
}

function parseHost(v: string): string {
  if (v.length === 0 || /\s/.test(v)) throw new UsageError(`invalid host "${v}": expected a name or an address such as 127.0.0.1`);
  return v;
}

/** A failure at run time (port taken, nobody listening): one line on stderr, exit status 1. */
function runtimeFailure(message: string): void {
  process.stderr.write(`tcpwatch: ${sanitizeText(message)}\n`);
  process.exitCode = 1;
}

function listenFailure(what: string, host: string, port: number, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE': return `${what}: port ${port} on ${host} is already in use (is another tcpwatch running?); choose another with --port`;
    case 'EACCES': return `${what}: not allowed to listen on port ${port} (ports below 1024 need root)`;
    case 'EADDRNOTAVAIL': return `${what}: ${host} is not an address of this machine`;
    case 'ENOTFOUND': return `${what}: cannot resolve host ${host}`;
    default: return `${what}: cannot listen on ${host}:${port} (${err.code ?? err.message})`;
  }
}

/** Resolves on the first SIGINT or SIGTERM, so a server can close its sockets before the process ends. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

interface ServeOptions {
  port?: number;
  host?: string;
  lab?: boolean;
  keylog?: string;
}

async function chatServe(cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<ServeOptions>();
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? DEFAULT_CHAT_PORT;
  const log = (line: string) => process.stdout.write(sanitizeText(line) + '\n');
  let server;
  try {
    server = await startChatServer({ host, port, closeAfterReply: !!o.lab, log });
  } catch (e) {
    runtimeFailure(listenFailure('chat server', host, port, e as NodeJS.ErrnoException));
    return;
  }
  const mode = o.lab ? '; lab mode: each client gets one answer, then the server closes first' : '';
  log(`chat server listening on ${server.host}:${server.port}${mode}; Ctrl-C stops it`);
  log(`connect with: tcpwatch chat connect ${server.host} ${server.port}`);
  await untilInterrupted();
  await server.close();
}

async function chatConnect(host: string, portArg: string | undefined): Promise<void> {
  const port = portArg === undefined ? DEFAULT_CHAT_PORT : parsePort(portArg);
  try {
    await runChatClient({ host: parseHost(host), port, input: process.stdin, output: process.stdout });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    runtimeFailure((e as Error).message);
    return;
  }
  // stdin may still hold the event loop open (a terminal); the conversation is over.
  process.stdin.pause();
  process.stdin.unref?.();
}

async function tlsServe(cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<ServeOptions>();
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? DEFAULT_TLS_PORT;
  let server;
  try {
    server = await startTlsServer({ host, port, keylogPath: o.keylog });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // a key log path that cannot be opened is a bad command line (status 2), like any other bad path
    if (err.syscall === 'open') throw new UsageError(`cannot open the key log ${o.keylog}: ${err.code ?? err.message}`);
    else runtimeFailure(listenFailure('HTTPS server', host, port, err));
    return;
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const out = (line: string) => process.stdout.write(sanitizeText(line) + '\n');
  out(`HTTPS server on https://${hostInUrl}:${server.port}/ (TLS 1.2 and 1.3, self-signed certificate for localhost); Ctrl-C stops it`);
  out(`key log: ${server.keylogPath}`);
  out(`try: curl -k https://${hostInUrl}:${server.port}/   and capture with: tcpwatch -i lo --keylog ${server.keylogPath} tcp port ${server.port}`);
  await untilInterrupted();
  await server.close();
}

export function installLabCommands(program: Command): void {
  const chat = program
    .command('chat')
    .description("the lab's TCP chat on port 8989: a broadcast server and a client");
  chat
    .command('serve')
    .description('run the chat server: messages go to every other client, joins and leaves are announced')
    .option('--port <port>', `port to listen on (default ${DEFAULT_CHAT_PORT})`, parsePort)
    .option('--host <address>', 'address to listen on (default 127.0.0.1)', parseHost)
    .option('--lab', "answer each client's first message and close the connection, server first, as in the lab")
    .action(async (_opts: ServeOptions, cmd: Command) => chatServe(cmd));
  chat
    .command('connect')
    .description('connect to a chat server: lines typed on stdin are sent, what arrives is printed, an empty line closes')
    .argument('<host>', 'server name or address')
    .argument('[port]', `server port (default ${DEFAULT_CHAT_PORT})`)
    .action(async (host: string, port: string | undefined) => chatConnect(host, port));

  const tls = program.command('tls').description('a local HTTPS server for the TLS part of the lab');
  tls
    .command('serve')
    .description('serve a small page over TLS 1.3 and 1.2 with a generated certificate, writing the session keys to a key log')
    .option('--port <port>', `port to listen on (default ${DEFAULT_TLS_PORT})`, parsePort)
    .option('--host <address>', 'address to listen on (default 127.0.0.1)', parseHost)
    .option('--keylog <file>', 'append the key log here (default: a new private file under the temporary directory)')
    .action(async (_opts: ServeOptions, cmd: Command) => tlsServe(cmd));

  program
    .command('demo')
    .description('the lab in one command: chat on 8989 and HTTPS on 8443 over loopback, captured and shown with the key log loaded')
    .option('-c, --count <n>', 'show at most n packets')
    .option('--no-ui', 'print the packets instead of opening the UI')
    .option('-w, --write <file>', 'save the capture here (pcapng, key log embedded)')
    .option('--explain [stream]', 'explain a TCP stream of the capture packet by packet')
    .action(async (_opts: unknown, cmd: Command) => runDemo(cmd.optsWithGlobals()));

  // A group named without a known subcommand: say what exists instead of printing nothing.
  for (const group of [chat, tls]) {
    group.argument('[subcommand]').action((sub: string | undefined) => {
      const known = group.commands.map((c) => c.name()).join(' or ');
      throw new UsageError(sub === undefined ? `"${group.name()}" needs a subcommand: ${known}` : `unknown ${group.name()} subcommand "${sub}": use ${known}`);
    });
  }
}

addCommands(installLabCommands);
