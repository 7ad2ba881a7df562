// Tessera is a single-page app: everything renders on the device, nothing on a server.
export const ssr = false;
export const prerender = false;
