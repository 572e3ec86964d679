/**
 * Text forms shared by the synthesizer, the scripts it generates and the audit.
 * @internal
 */

/** `0o600` → `"0600"`: a file mode as install(1), chmod(1) and cloud-init write it. */
export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

/** Single-quotes a word for a POSIX shell. Only used on values kubeforge generates or validated. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
