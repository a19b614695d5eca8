#!/usr/bin/env -S node --max-semi-space-size=16
// The young generation is capped at 16 MiB per semi-space: V8 otherwise sizes it from the machine's memory (128 MiB
// on a 24 GiB host), which more than doubles the controller's peak RSS for no gain. `node dist/bin.js` ignores this
// line: pass the flag yourself (or NODE_OPTIONS=--max-semi-space-size=16).
// No top-level await: the single executable (`pnpm run sea`) bundles this file as CommonJS.
import { runDaemonProcess } from '@multinic/kube';
import { controllerDaemon } from './main.js';

// Set by build-sea.ts (esbuild define) in the single executable; absent when run from dist/.
declare const MULTINIC_PLUGIN_VERSION: string | undefined;

runDaemonProcess(controllerDaemon(typeof MULTINIC_PLUGIN_VERSION === 'string' ? MULTINIC_PLUGIN_VERSION : undefined));
