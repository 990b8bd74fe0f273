#!/usr/bin/env node
// Production entry point: runs the compiled commands in dist/.
process.env.PATH = require('../dist/src/core/system-path').withSystemDirs(process.env.PATH);
require('@oclif/core').execute({ dir: __dirname }).catch(require('@oclif/core/handle'));
