export function seededRandom(seed: number): () => number
export function randomInt(random: () => number, below: number): number
