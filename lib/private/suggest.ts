import { closest, distance } from "fastest-levenshtein";

/**
 * "Did you mean …?" for a misspelt key or value: the closest candidate, if close enough to be a typo.
 * @internal
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(input, [...candidates]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(input.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}
