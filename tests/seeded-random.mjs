// A small seeded generator (mulberry32) for the tests' random cases: the same sequence everywhere,
// so any failing case can be replayed from its seed.
export function seededRandom(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const below = (n) => Math.floor(next() * n);
  return {
    next,
    below,
    int: (lo, hi) => lo + below(hi - lo + 1),
    pick: (list) => list[below(list.length)],
  };
}
