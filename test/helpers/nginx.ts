// Debian's nginx as the real web server of the tests that record HTTP, HTTPS and HTTP/2 on
// loopback: one configuration shape (everything under the test's directory, no access log, one
// process), with what differs between tests — port, TLS, HTTP/2, MIME types, extra directives —
// given by the test.

import { ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

export interface NginxSite {
  port: number;
  /** Directory served at /. */
  root: string;
  /** Extension → MIME type. */
  types: Record<string, string>;
  /** Serve TLS with this certificate (and these protocol versions, nginx's default otherwise). */
  tls?: { cert: string; key: string; protocols?: string };
  http2?: boolean;
  /** More directives inside `server { }`, e.g. locations. */
  directives?: string[];
}

/** Write `dir/nginx.conf` for one site and return its path. */
export function writeNginxConf(dir: string, site: NginxSite): string {
  const types = Object.entries(site.types).map(([ext, mime]) => `${mime} ${ext};`).join(' ');
  const listen = `127.0.0.1:${site.port}${site.tls ? ' ssl' : ''}${site.http2 ? ' http2' : ''}`;
  const tls = site.tls === undefined ? [] : [
    `ssl_certificate ${site.tls.cert};`,
    `ssl_certificate_key ${site.tls.key};`,
    ...(site.tls.protocols ? [`ssl_protocols ${site.tls.protocols};`] : []),
  ];
  const server = [`listen ${listen};`, `root ${site.root};`, ...tls, ...(site.directives ?? [])].map((l) => `    ${l}`).join('\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { ${types} }
  server {
${server}
  }
}
`);
  return conf;
}

/** Start nginx on `dir/nginx.conf` written for `site`; what it says on stderr collects in `errors()`. */
export function startNginx(dir: string, site: NginxSite): { proc: ChildProcess; errors: () => string } {
  const conf = writeNginxConf(dir, site);
  const proc = spawn(NGINX, ['-c', conf, '-p', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { proc, errors: () => err };
}
