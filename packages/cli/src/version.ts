/** The d2 version (kept in step with the repository's package.json by the release process). */
export const VERSION = '0.1.0';
