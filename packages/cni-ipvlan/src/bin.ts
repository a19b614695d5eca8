#!/usr/bin/env node
import { pluginMain } from '@multinic/cni-skel';
import { multiNicPlugin } from './plugin.js';

pluginMain(multiNicPlugin);
