import type { Engine } from '../engine';
import { parseMirrorUrl } from '../config/flags';
import { mirrorEndpoint } from '../registry/registry-endpoint';
import { pullImage, type PullOptions, type PullResult } from './puller';
import type { JsonProgress } from './json-progress';

/**
 * `docker pull` of a Docker Hub image with --registry-mirror set: each mirror in turn, then Docker
 * Hub itself, as dockerd does (mirrors serve pulls only; push and login go to the Hub). A mirror
 * that fails for any reason (unreachable, missing image, bad content: a failed pull leaves no image)
 * is logged and the next one is tried. Mirrors are asked anonymously: the user's Hub credentials
 * are not sent to a third party's mirror.
 */
export async function pullWithMirrors(engine: Engine, opts: PullOptions, p: JsonProgress): Promise<PullResult> {
  const mirrors = opts.ref.domain === 'docker.io' ? engine.config.registryMirrors : [];
  for (const raw of mirrors) {
    const endpoint = mirrorEndpoint(parseMirrorUrl(raw), { insecure: engine.config.insecureRegistries, certsDir: engine.config.registryCertsDir });
    try {
      return await pullImage(engine, { ...opts, auth: {}, endpoint }, p);
    } catch (e) {
      engine.log.warn('registry mirror failed; trying the next source', { mirror: endpoint.host, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return pullImage(engine, opts, p);
}
