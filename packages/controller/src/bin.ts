#!/usr/bin/env -S node --max-semi-space-size=16
// The young generation is capped at 16 MiB per semi-space: V8 otherwise sizes it from the machine's memory (128 MiB
// on a 24 GiB host), which more than doubles the controller's peak RSS for no gain. `node dist/bin.js` ignores this
// line: pass the flag yourself (or NODE_OPTIONS=--max-semi-space-size=16).
import { main } from './main.js';

const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
});
process.exitCode = await main({ argv: process.argv.slice(2), env: process.env, stderr: (t) => process.stderr.write(t), stopSignal });
