// The GitLab REST stand-in (gitlab/): a subpath export like github-emulator.ts.
export * from './gitlab/index.js';
