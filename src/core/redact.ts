/**
 * Removes secrets from text bound for logs and messages. Each secret is replaced wherever it
 * appears, and URL user-info passwords are masked even when the secret itself is unknown.
 */
export function redact(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@/\s]+@/gi, '$1***@');
  for (const s of secrets) {
    if (s && s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}
