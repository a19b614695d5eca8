declare const MULTINIC_PLUGIN_VERSION: string | undefined;

/**
 * The version of the executable this code runs in: scripts/build-sea.ts defines it from the plugin's package.json
 * when bundling; a development marker when run from sources.
 */
export const BUILD_VERSION: string = typeof MULTINIC_PLUGIN_VERSION === 'string' ? MULTINIC_PLUGIN_VERSION : '0.0.0-development';
