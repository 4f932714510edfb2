/**
 * Python's repr() of a str and of a list of str, as the vDVS ESXi service (Python 3) prints them in
 * its error texts: `['thin', 'zeroedthick']`, and name errors wrapped in quotes because its
 * ValidationError.__str__ returns repr(msg). Reproducing it lets our texts equal the server's.
 */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return quote + out + quote;
}

export function pyReprList(items: readonly string[]): string {
  return `[${items.map(pyRepr).join(', ')}]`;
}
