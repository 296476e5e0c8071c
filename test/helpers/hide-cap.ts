// Preloaded with `node -r` to make require('cap') fail the way it does on a machine where the addon
// did not build (no libpcap headers at install time), so tests can check that file reading still
// works and live capture says what to install.

import Module from 'node:module';

const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolve = M._resolveFilename;
M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
  if (request === 'cap' || request.endsWith('cap.node')) {
    const e = new Error("Cannot find module '../build/Release/cap.node'") as NodeJS.ErrnoException;
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return resolve.call(this, request, ...rest);
};
