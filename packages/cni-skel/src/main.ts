// The process binding of the skeleton: the only place that reads process.env, stdin, and writes stdout.
import { appendFileSync } from 'node:fs';
import { toCniError } from './errors.js';
import { LATEST_CNI_VERSION, runCni } from './skel.js';
import type { CniIo, CniPlugin } from './skel.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY === true) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The `CniIo` of this process. */
export function processIo(): CniIo {
  return {
    env: process.env,
    argv: process.argv.slice(2),
    readStdin,
    writeStdout: (text) => void process.stdout.write(text),
    writeStderr: (text) => void process.stderr.write(text),
    appendFile: (file, text) => appendFileSync(file, text),
    now: () => new Date(),
  };
}

/** Runs `plugin` as this process's CNI plugin and exits with its code (the `bin` entry of a plugin). */
export function pluginMain(plugin: CniPlugin): void {
  const exit = (code: number): void => {
    // stdout is a pipe or a file for a CNI plugin: both are written synchronously on Linux, so nothing is lost.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  };
  runCni(plugin, processIo()).then(exit, (err: unknown) => {
    process.stdout.write(`${JSON.stringify(toCniError(err, LATEST_CNI_VERSION))}\n`);
    exit(1);
  });
}
