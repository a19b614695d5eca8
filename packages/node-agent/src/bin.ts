#!/usr/bin/env node
// No top-level await: the single executable (`pnpm run sea`) bundles this file as CommonJS.
import { runDaemonProcess } from '@multinic/kube';
import { agentDaemon } from './main.js';

// Set by build-sea.ts (esbuild define) in the single executable; absent when run from dist/.
declare const MULTINIC_PLUGIN_VERSION: string | undefined;

runDaemonProcess(agentDaemon(typeof MULTINIC_PLUGIN_VERSION === 'string' ? MULTINIC_PLUGIN_VERSION : undefined));
