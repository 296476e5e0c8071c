#!/usr/bin/env node
'use strict';
// Entry point for `npx tcpwatch` and the installed command: the compiled CLI lives in dist/.
require('../dist/src/cli.js').main(process.argv);
