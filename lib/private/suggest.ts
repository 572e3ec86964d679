import { distance } from "fastest-levenshtein";

/**
 * "Did you mean …?" for a misspelt key or value: the closest candidate, if close enough to be a typo.
 * Case is ignored when ranking, so `NODES` finds `nodes` (a case-sensitive ranking counts every
 * changed letter and can prefer an unrelated short key).
 * @internal
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(needle, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= limit ? best : undefined;
}
