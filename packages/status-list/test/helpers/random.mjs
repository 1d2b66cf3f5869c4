// Plain JavaScript so that bench/encode.bench.mjs (run by node, no build step) and the tests share one generator;
// the types are in random.d.mts.

// A seeded generator (mulberry32) so a failing property run can be replayed from the seed in its test name, and
// every bench run revokes the same indices.
export function seededRandom(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function randomInt(random, below) {
  return Math.floor(random() * below)
}
