/**
 * mulberry32: a small seeded generator, so a failing fault run can be replayed (`SEED=<n>`).
 * Each seeded test prints its seed when it fails.
 */
export function seeded(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
