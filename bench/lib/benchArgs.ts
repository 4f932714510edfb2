/** Shared by the benches: command-line options and the median of repeated runs. */

/** The value after `--name` on the command line, if given. */
export function optionText(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--name N` as a number, if given. */
export function arg(name: string): number | undefined {
  const text = optionText(name);
  return text === undefined ? undefined : Number(text);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
