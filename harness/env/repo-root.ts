import { fileURLToPath } from 'node:url';

/** The repository's root directory: where `runs/` lives by default and where commands run from. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
