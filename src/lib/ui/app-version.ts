// The version of the running app, written in at build time from package.json (see vite.config.ts).
declare const __APP_VERSION__: string;

export const appVersion: string = __APP_VERSION__;
