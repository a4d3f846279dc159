import { tempDir } from '../helpers/temp.js';

/**
 * Every test file starts from the same perfsop environment, whatever the developer's shell
 * exports: a PERFSOP_TOKEN, PERFSOP_CONFIG or PERFSOP_LOG_LEVEL=silent there would change what
 * each spawned perfsop does (a hidden "serving" line leaves startHttpPerfsop nothing to wait for).
 * PERFSOP_HOME points at a temp folder, so nothing a test starts can touch ~/.perfsop.
 */
for (const name of Object.keys(process.env)) if (name.startsWith('PERFSOP_')) delete process.env[name];
process.env.PERFSOP_HOME = tempDir('perfsop-home-');
