/** host without :port (IPv6 keeps its brackets). */
export function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const i = registry.lastIndexOf(':');
  return i < 0 ? registry : registry.slice(0, i);
}

/** A loopback registry host (localhost, *.localhost, 127.x.x.x, [::1]), with or without a port. */
export function isLoopback(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
