// Preloaded into a production entry point by prod-dependencies.test.ts: reports every devDependency the
// process loads (the Docker image installs with --omit=dev, so any of them would crash it there).
const Module = require('node:module');
const path = require('node:path');
const { devDependencies } = require(path.join(__dirname, '..', '..', 'package.json'));
const names = new Set(Object.keys(devDependencies));
const originalLoad = Module._load;
Module._load = function load(request, ...rest) {
  const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
  if (names.has(name)) process.stderr.write(`DEV DEPENDENCY LOADED: ${name}\n`);
  return originalLoad.call(this, request, ...rest);
};
