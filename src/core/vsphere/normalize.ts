/**
 * npm soap parses vim25 responses against our WSDL subset, where responses are `anyType`: leaves come
 * back as strings, a repeated element with one occurrence as an object instead of an array, and an
 * element with attributes (a MoRef, an `xsi:type`d value) as `{ attributes, $value }`. These helpers
 * turn that shape into typed values, for vcsim and real hosts alike.
 */

/** A managed object reference, e.g. `{ type: 'Datastore', value: 'datastore-12' }`. */
export interface MoRef {
  type: string;
  value: string;
}

type Soapish = { attributes?: Record<string, string>; $value?: unknown; [key: string]: unknown };

/** Zero, one or many occurrences as an array. */
export function arr<T = unknown>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/** The text of a leaf, or undefined. */
export function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && !(value instanceof Date)) {
    const v = (value as Soapish).$value;
    return v === undefined || v === null ? undefined : leafText(v);
  }
  return value instanceof Date ? value.toISOString() : leafText(value);
}

/** A scalar as text; anything else (an unexpected structure) as JSON rather than "[object Object]". */
function leafText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
      ? String(value)
      : JSON.stringify(value);
}

export function num(value: unknown): number | undefined {
  const s = str(value);
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function bool(value: unknown): boolean | undefined {
  const s = str(value);
  return s === undefined ? undefined : s === 'true' || s === '1';
}

export function ref(value: unknown): MoRef | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Soapish;
  const type = v.attributes?.type;
  const id = str(v);
  return type && id ? { type, value: id } : undefined;
}

/** The `xsi:type` of a polymorphic value, whatever prefix the server bound the XSI namespace to. */
export function xsiType(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const attrs = (value as Soapish).attributes ?? {};
  for (const [k, v] of Object.entries(attrs)) if (k.endsWith(':type')) return v.replace(/^.*:/, '');
  return undefined;
}

/** A nested object property (`obj.a.b`), tolerating missing levels. */
export function at(value: unknown, ...path: string[]): unknown {
  let cur = value;
  for (const key of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The argument form npm soap serializes as `<x type="T">id</x>`. */
export function moRefArg(r: MoRef): { attributes: { type: string }; $value: string } {
  return { attributes: { type: r.type }, $value: r.value };
}

/** A polymorphic request value: npm soap writes the `xsi:type` attribute. */
export function typed<T extends object>(type: string, value: T): T & { attributes: Record<string, string> } {
  return { attributes: { 'xsi:type': `vim25:${type}` }, ...value };
}
