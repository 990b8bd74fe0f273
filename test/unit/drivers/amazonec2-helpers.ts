import type { Amazonec2DriverDeps } from '../../../src/drivers/amazonec2/driver';
import { amazonec2ConfigFromFlags, type Amazonec2Config } from '../../../src/drivers/amazonec2/config';
import type { FlagValues } from '../../../src/drivers/driver';
import { makeDriverContext, type TestDriverContext } from '../../helpers/driver-context';
import { FakeEc2 } from '../../helpers/fakes/amazonec2-fake';
import { Amazonec2Driver } from '../../../src/drivers/amazonec2/driver';
import { amazonec2Flags } from '../../../src/drivers/amazonec2/flags';

/** Waits that poll every ms and give up in seconds, so the fake's transitions take no time. */
export const FAST: Omit<Amazonec2DriverDeps, 'api'> = {
  pollMs: 1,
  timeouts: { running: 2000, address: 2000, stopped: 2000, terminated: 2000, groupRelease: 2000 },
};

/** Flag values as the CLI gives them: every default applied, then `flags`. */
export function flagValues(flags: FlagValues = {}): FlagValues {
  const v: FlagValues = {};
  for (const f of amazonec2Flags) if (f.default !== undefined) v[f.name] = f.default;
  return { ...v, ...flags };
}

export interface Subject {
  fake: FakeEc2;
  ctx: TestDriverContext<Amazonec2Config>;
  driver: Amazonec2Driver;
}

/** A driver over a fresh fake (or `fake`) with a valid config from `flags`. */
export function subject(flags: FlagValues = {}, o: { fake?: FakeEc2; signal?: AbortSignal; name?: string } = {}): Subject {
  const { config, problems } = amazonec2ConfigFromFlags(flagValues(flags));
  if (problems.length) throw new Error(`bad test flags: ${JSON.stringify(problems)}`);
  const fake = o.fake ?? new FakeEc2();
  const ctx = makeDriverContext({ name: o.name ?? 'web1', config, signal: o.signal });
  return { fake, ctx, driver: new Amazonec2Driver(ctx, { api: fake.api(config.region), ...FAST }) };
}
