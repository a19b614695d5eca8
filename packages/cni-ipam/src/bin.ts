#!/usr/bin/env node
import { pluginMain } from '@multinic/cni-skel';
import { multiNicIpamPlugin } from './ipam.js';

pluginMain(multiNicIpamPlugin);
