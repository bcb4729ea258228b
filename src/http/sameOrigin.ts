// Whether a browser's Origin is the service's own: the sockets' origin check and the job board's actions
// both ask it.

/** The Origin's host (and port) is the one the request was sent to: a page of this service. */
export function isSameOrigin(origin: string, host: string): boolean {
  try {
    const page = new URL(origin);
    // Host without a port means the scheme's default one, as in the Origin
    return page.host === new URL(`${page.protocol}//${host}`).host;
  } catch {
    return false; // "null" (a sandboxed page, a file), or not a URL at all
  }
}
