#!/usr/bin/env node
import { main } from './main.js';

const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
});
process.exitCode = await main({ argv: process.argv.slice(2), env: process.env, stderr: (t) => process.stderr.write(t), stopSignal });
