#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { runCli } from './main.js';

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readFile: (file) => readFile(file, 'utf8'),
});
