import type { Engine } from '../engine';
import { conflict, notFound } from '../http/api-error';
import { shortId } from '../util/ids';
import { removeUnusedLayers } from '../layers/layer-gc';
import { familiarString, parseReference, withDefaultTag, fullString } from './reference';

export type DeleteRecord = { Untagged: string } | { Deleted: string };

function familiar(full: string): string {
  return familiarString(parseReference(full));
}

/**
 * DELETE /images/{name} with dockerd's rules: a reference with other references is only
 * untagged; an image used by a container needs force (and a running one cannot be forced).
 * With `collect` (the default), the layers no image uses any more are removed too, which
 * waits for unpacks in flight (see removeUnusedLayers).
 */
export async function deleteImage(engine: Engine, name: string, force: boolean, collect = true): Promise<DeleteRecord[]> {
  const id = engine.images.lookup(name);
  if (!id) throw notFound(`No such image: ${name}`);
  const rec = engine.images.record(id);
  const users = engine.containers.all().filter((c) => c.Image === id);
  const running = users.filter((c) => c.State.Running);
  let ref: string | undefined;
  try { ref = fullString(withDefaultTag(parseReference(name))); } catch { ref = undefined; }
  const out: DeleteRecord[] = [];
  // Each untag is an event while the image is still there (its labels go with it), as in dockerd.
  const untag = async (r: string) => {
    await engine.images.untag(r);
    out.push({ Untagged: familiar(r) });
    engine.events.emit('image', 'untag', id, familiar(r));
  };
  const allRefs = [...rec.tags, ...rec.digests];
  if (ref && allRefs.includes(ref)) {
    const remaining = rec.tags.filter((t) => t !== ref);
    if (!force && remaining.length === 0 && users.length > 0) {
      throw conflict(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(users[0].Id)} is using its referenced image ${shortId(id)}`);
    }
    await untag(ref);
    if (remaining.length > 0 || running.length > 0 || (users.length > 0 && !force)) return out;
    for (const d of rec.digests.filter((x) => x !== ref)) await untag(d);
  } else {
    const repos = new Set(allRefs.map((r) => r.replace(/[:@][^/]*$/, '')));
    if (repos.size > 1 && !force) throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
    if (running.length > 0) throw conflict(`conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(running[0].Id)}`);
    if (users.length > 0 && !force) throw conflict(`conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(users[0].Id)}`);
    for (const t of allRefs) await untag(t);
  }
  await engine.images.delete(id);
  for (const m of await engine.dist.forgetImage(id)) await engine.content.remove(m);
  out.push({ Deleted: id });
  engine.events.emit('image', 'delete', id, id);
  if (collect) out.push(...(await removeUnusedLayers(engine)).map((c) => ({ Deleted: c })));
  return out;
}
