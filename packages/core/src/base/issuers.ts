/** The OIDC issuer of GitHub Actions tokens on github.com (GHEC adds `/<enterprise>`). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
