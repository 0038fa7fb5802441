/**
 * A short id, random enough to tell tabs and writers apart. (`crypto.randomUUID` would need a
 * secure context, and the cookie transport and the heartbeat election also run on plain http.)
 */
export const randomId = (): string =>
  Math.random().toString(36).slice(2, 10) + Date.now().toString(36).slice(-4);
