declare const MULTINIC_PLUGIN_VERSION: string | undefined;

/** The version of a plugin that was not bundled by build-sea (run from sources or from an installed package's dist). */
export const DEVELOPMENT_VERSION = '0.0.0-development';

/**
 * The version of the executable this code runs in: scripts/build-sea.ts defines it from the plugin's package.json
 * when bundling; a development marker when run from sources.
 */
export const BUILD_VERSION: string =
  typeof MULTINIC_PLUGIN_VERSION === 'string' ? MULTINIC_PLUGIN_VERSION : DEVELOPMENT_VERSION;
