// The lab's HTTPS half: a local server that shows a learner what port 443 carries (Client Hello,
// Server Hello, then only encrypted records) and writes the session secrets to a key log, so that
// tcpwatch can decrypt the same capture and show the HTTP inside.

import { closeSync, constants as fsConstants, fchmodSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer, request, Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { generateSelfSignedCertificate } from './x509';

export interface TlsServerOptions {
  host?: string;
  port?: number;
  /** Appended to (created 0600 if missing). Default: keylog.txt in a fresh private directory under os.tmpdir(). */
  keylogPath?: string;
}

export interface TlsServer {
  host: string;
  port: number;
  keylogPath: string;
  certPem: string;
  close(): Promise<void>;
}

const LAB_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>tcpwatch lab</title></head>
<body>
<h1>Hello from the tcpwatch lab</h1>
<p>This page travelled inside TLS records. Without the key log a sniffer sees only
Application Data; with it, tcpwatch shows this HTML.</p>
</body>
</html>
`;

/** The body served at "/", exported so tests and the demo can check what was decrypted. */
export const LAB_PAGE_HTML = LAB_PAGE;

// O_NOFOLLOW because tcpwatch often runs as root (live capture) and the default directory is shared /tmp.
function openKeylog(path: string): number {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | (fsConstants.O_NOFOLLOW ?? 0);
  const fd = openSync(path, flags, 0o600);
  try {
    fchmodSync(fd, 0o600); // an existing file keeps its old mode otherwise
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

function defaultKeylogPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'tcpwatch-tls-')), 'keylog.txt');
}

function handleRequest(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' });
    res.end('tcpwatch lab serves GET only\n');
    return;
  }
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(LAB_PAGE) });
    res.end(req.method === 'HEAD' ? undefined : LAB_PAGE);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
}

export async function startTlsServer(opts: TlsServerOptions = {}): Promise<TlsServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8443;
  const cert = generateSelfSignedCertificate({ commonName: 'localhost' });
  const keylogPath = opts.keylogPath ?? defaultKeylogPath();
  const keylogFd = openKeylog(keylogPath);
  let keylogOpen = true;

  const server: Server = createServer(
    {
      key: cert.keyPem,
      cert: cert.certPem,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    },
    handleRequest,
  );
  // Written synchronously so a secret is on disk before the first encrypted record it unlocks is sent.
  server.on('keylog', (line: Buffer) => {
    if (keylogOpen) writeSync(keylogFd, line);
  });
  // A client that aborts its handshake must not take the lab server down.
  server.on('tlsClientError', () => {});
  server.on('clientError', (_err, socket) => socket.destroy());

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    keylogOpen = false;
    closeSync(keylogFd);
    // the port was taken: leave no empty key log behind in a directory we made
    if (opts.keylogPath === undefined) rmSync(dirname(keylogPath), { recursive: true, force: true });
    throw err;
  }
  server.on('error', () => {});
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  let closing: Promise<void> | null = null;
  return {
    host,
    port: boundPort,
    keylogPath,
    certPem: cert.certPem,
    close(): Promise<void> {
      if (!closing) {
        closing = new Promise<void>((resolve) => {
          server.close(() => {
            if (keylogOpen) {
              keylogOpen = false;
              closeSync(keylogFd);
            }
            resolve();
          });
          server.closeAllConnections();
        });
      }
      return closing;
    },
  };
}

export interface FetchOverTlsOptions {
  host?: string;
  port: number;
  path?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are chosen by the TLS 1.3 defaults). */
  ciphers?: string;
  /** SNI sent in the Client Hello; default "localhost" when host is an IP, since SNI never carries IPs (RFC 6066 §3). */
  servername?: string;
  /** PEM to trust (e.g. TlsServer.certPem): the certificate is then verified; without it, it is not. */
  ca?: string;
  /** Client-side secrets are appended here too (0600), e.g. the same file the server writes. */
  keylogPath?: string;
  timeoutMs?: number;
}

export interface FetchOverTlsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol: string | null;
  cipher: string;
}

export function fetchOverTls(opts: FetchOverTlsOptions): Promise<FetchOverTlsResult> {
  const host = opts.host ?? '127.0.0.1';
  const servername = opts.servername ?? (isIP(host) !== 0 ? 'localhost' : host);
  const keylogFd = opts.keylogPath ? openKeylog(opts.keylogPath) : -1;
  const timeoutMs = opts.timeoutMs ?? 5000;

  return new Promise<FetchOverTlsResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, result?: FetchOverTlsResult) => {
      if (settled) return;
      settled = true;
      if (keylogFd >= 0) closeSync(keylogFd);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = request(
      {
        host,
        port: opts.port,
        path: opts.path ?? '/',
        method: 'GET',
        agent: false, // a fresh connection and full handshake per fetch, as the lab shows
        servername,
        headers: { host: servername, connection: 'close' },
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        ciphers: opts.ciphers,
        ca: opts.ca,
        rejectUnauthorized: opts.ca !== undefined,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const tlsSocket = res.socket as TLSSocket;
        const protocol = tlsSocket.getProtocol();
        const cipher = tlsSocket.getCipher().standardName;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          finish(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            protocol,
            cipher,
          }),
        );
        res.on('error', (err) => finish(err));
      },
    );
    req.on('socket', (socket) => {
      if (keylogFd >= 0) {
        socket.on('keylog', (line: Buffer) => {
          if (!settled) writeSync(keylogFd, line);
        });
      }
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from https://${host}:${opts.port} within ${timeoutMs} ms`)));
    req.on('error', (err) => finish(err));
    req.end();
  });
}
