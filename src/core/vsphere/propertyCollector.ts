import { arr, at, moRefArg, MoRef, ref, str, typed } from './normalize';
import { VsphereSession } from './session';

/** One managed object and the properties asked for (raw soap values; map them with normalize.ts). */
export interface ObjectProps {
  ref: MoRef;
  props: Record<string, unknown>;
}

/** RetrievePropertiesEx plus ContinueRetrievePropertiesEx while the server pages. */
async function retrieve(session: VsphereSession, specSet: unknown[], signal?: AbortSignal): Promise<ObjectProps[]> {
  const collector = moRefArg(session.serviceContent.propertyCollector);
  const out: ObjectProps[] = [];
  let [result] = await session.invoke('RetrievePropertiesEx', { _this: collector, specSet, options: {} }, signal);
  for (;;) {
    for (const oc of arr(at(result, 'objects'))) {
      const r = ref(at(oc, 'obj'));
      if (!r) continue;
      const props: Record<string, unknown> = {};
      for (const p of arr(at(oc, 'propSet'))) props[str(at(p, 'name')) ?? ''] = at(p, 'val');
      out.push({ ref: r, props });
    }
    const token = str(at(result, 'token'));
    if (!token) return out;
    [result] = await session.invoke('ContinueRetrievePropertiesEx', { _this: collector, token }, signal);
  }
}

/**
 * A ContainerView of `type` objects under `container`, created once per session and reused, so each
 * later listing of that level is a single RetrievePropertiesEx. Re-login clears the cache.
 */
async function containerView(session: VsphereSession, container: MoRef, type: string, signal?: AbortSignal): Promise<MoRef> {
  const key = `view:${container.type}:${container.value}:${type}`;
  const cached = session.sessionCache.get(key) as MoRef | undefined;
  if (cached) return cached;
  const [view] = await session.invoke(
    'CreateContainerView',
    { _this: moRefArg(session.serviceContent.viewManager), container: moRefArg(container), type: [type], recursive: true },
    signal,
  );
  const r = ref(view);
  if (!r) throw new Error('CreateContainerView returned no view');
  session.sessionCache.set(key, r);
  return r;
}

/** Forgets the session's container views, so the next listing re-creates them (and notices a dropped session). */
export function forgetViews(session: VsphereSession): void {
  for (const key of [...session.sessionCache.keys()]) if (key.startsWith('view:')) session.sessionCache.delete(key);
}

/** Every `type` object under `container` (Folder, Datacenter, ComputeResource…) with `paths`: one round trip. */
export async function listInContainer(
  session: VsphereSession,
  container: MoRef,
  type: string,
  paths: string[],
  signal?: AbortSignal,
): Promise<ObjectProps[]> {
  const view = await containerView(session, container, type, signal);
  return retrieve(
    session,
    [
      {
        propSet: [{ type, pathSet: paths }],
        objectSet: [
          {
            obj: moRefArg(view),
            skip: true,
            selectSet: [typed('TraversalSpec', { name: 'view', type: 'ContainerView', path: 'view', skip: false })],
          },
        ],
      },
    ],
    signal,
  );
}

/** The objects a property of `from` points at (e.g. HostSystem.datastore), with `paths`: one round trip. */
export async function listByTraversal(
  session: VsphereSession,
  from: MoRef,
  path: string,
  type: string,
  paths: string[],
  signal?: AbortSignal,
): Promise<ObjectProps[]> {
  return retrieve(
    session,
    [
      {
        propSet: [{ type, pathSet: paths }],
        objectSet: [
          { obj: moRefArg(from), skip: true, selectSet: [typed('TraversalSpec', { name: path, type: from.type, path, skip: false })] },
        ],
      },
    ],
    signal,
  );
}

/** Properties of one object. */
export async function getProperties(
  session: VsphereSession,
  obj: MoRef,
  paths: string[],
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const [found] = await retrieve(
    session,
    [{ propSet: [{ type: obj.type, pathSet: paths }], objectSet: [{ obj: moRefArg(obj), skip: false }] }],
    signal,
  );
  return found?.props ?? {};
}
