import { errorMessage, TsmError } from '../../core/errors';
import { waitFor } from '../../core/wait';
import type { DriverContext } from '../driver';
import { awsErrorCode, isNotFound, type Ec2Instance } from './api';
import type { Amazonec2Config } from './config';
import { ec2Error } from './errors';
import { waitForInstance, type Ec2Timeouts, type WaitDeps } from './waits';

export interface TeardownDeps extends WaitDeps {
  ctx: DriverContext<Amazonec2Config>;
  timeouts: Ec2Timeouts;
}

/** One resource that could not be deleted: its exact id and why. */
interface Leftover {
  id: string;
  why: string;
}

/**
 * Deletes every resource the machine recorded, instance first (then what it used: spot request,
 * security group, key pair). Already-gone counts as deleted; each deleted resource is forgotten
 * (and saved) at once; what could not be deleted stays recorded and is listed in one DRIVER_ERROR.
 * Runs to the end even when the create was interrupted: it does not listen to ctx.signal.
 */
export async function teardown(d: TeardownDeps): Promise<void> {
  const left: Leftover[] = [];
  const instanceGone = await removeInstances(d, left);
  await cancelSpotRequest(d, left);
  if (instanceGone) await removeSecurityGroup(d, left);
  else if (d.ctx.config.resources.securityGroupId) {
    left.push({ id: d.ctx.config.resources.securityGroupId, why: 'security group kept until its instance is terminated' });
  }
  await removeKeyPair(d, left);
  if (left.length > 0) {
    const lines = left.map((l) => `  ${l.id}: ${l.why}`).join('\n');
    throw new TsmError('DRIVER_ERROR', `could not delete ${left.length} AWS resource(s) of "${d.ctx.name}" in ${d.ctx.config.region}:\n${lines}`, {
      suggestion: `they stay recorded: run "tsmachine rm ${d.ctx.name}" again, or delete them in the EC2 console`,
    });
  }
}

async function forget(d: TeardownDeps, update: (r: Amazonec2Config['resources']) => void): Promise<void> {
  update(d.ctx.config.resources);
  await d.ctx.save();
}

/** Terminates the recorded instance (or one launched with the recorded client token) and waits for terminated. */
async function removeInstances(d: TeardownDeps, left: Leftover[]): Promise<boolean> {
  const r = d.ctx.config.resources;
  let ids: string[] = r.instanceId ? [r.instanceId] : [];
  if (ids.length === 0 && r.clientToken) {
    try {
      // RunInstances may have launched an instance whose id never reached us.
      ids = (await d.api.instancesByClientToken(r.clientToken)).map((i) => i.id);
    } catch (e) {
      left.push({ id: `instance with client token ${r.clientToken}`, why: ec2Error(e, 'DescribeInstances', 'the launch', d.ctx.config.region).message });
      return false;
    }
  }
  let ok = true;
  for (const id of ids) ok = (await removeInstance(d, id, left)) && ok;
  if (ok) await forget(d, (res) => {
    delete res.instanceId;
    delete res.clientToken;
  });
  return ok;
}

async function removeInstance(d: TeardownDeps, id: string, left: Leftover[]): Promise<boolean> {
  try {
    d.progress({ kind: 'info', message: `Terminating instance ${id}` });
    await d.api.terminateInstance(id);
  } catch (e) {
    if (isNotFound(e)) return true;
    left.push({ id, why: ec2Error(e, 'TerminateInstances', `instance ${id}`, d.ctx.config.region).message });
    return false;
  }
  try {
    // Right after a launch DescribeInstances may not see the instance yet: absence counts as
    // terminated only once it has been seen (EC2 forgets terminated instances after a while).
    let seen = false;
    const done = (i: Ec2Instance | undefined) => {
      if (i) seen = true;
      return i ? i.state === 'terminated' : seen;
    };
    await waitForInstance(d, { id, what: `instance ${id} to be terminated`, timeoutMs: d.timeouts.terminated, done });
    return true;
  } catch (e) {
    left.push({ id, why: errorMessage(e) });
    return false;
  }
}

async function cancelSpotRequest(d: TeardownDeps, left: Leftover[]): Promise<void> {
  const id = d.ctx.config.resources.spotRequestId;
  if (!id) return;
  try {
    await d.api.cancelSpotRequest(id);
  } catch (e) {
    if (!isNotFound(e)) {
      left.push({ id, why: ec2Error(e, 'CancelSpotInstanceRequests', `spot request ${id}`, d.ctx.config.region).message });
      return;
    }
  }
  await forget(d, (r) => delete r.spotRequestId);
}

/**
 * Deletes the security group tsmachine created. Its network interface detaches some time after
 * the instance is terminated, so DependencyViolation is retried (bounded). When another
 * machine's instance uses the group (it reused it by name), the group is left to it and forgotten.
 */
async function removeSecurityGroup(d: TeardownDeps, left: Leftover[]): Promise<void> {
  const id = d.ctx.config.resources.securityGroupId;
  if (!id) return;
  const region = d.ctx.config.region;
  let outcome: { deleted: true } | { users: string[] } | { error: unknown };
  try {
    outcome = await waitFor(
      async () => {
        try {
          await d.api.deleteSecurityGroup(id);
          return { deleted: true as const };
        } catch (e) {
          if (isNotFound(e)) return { deleted: true as const };
          if (awsErrorCode(e) !== 'DependencyViolation') return { error: e };
          const users = await d.api.instancesUsingGroup(id);
          if (users.length > 0) return { users };
          throw new Error('the group is still attached to a network interface of the terminated instance');
        }
      },
      { timeoutMs: d.timeouts.groupRelease, what: `security group ${id} to be released`, intervalMs: d.pollMs, sleep: d.sleep },
    );
  } catch (e) {
    outcome = { error: e };
  }
  if ('error' in outcome) {
    left.push({ id, why: ec2Error(outcome.error, 'DeleteSecurityGroup', `security group ${id}`, region).message });
    return;
  }
  if ('users' in outcome) {
    d.progress({ kind: 'warn', message: `kept security group ${id}: instance ${outcome.users.join(', ')} of another machine uses it` });
  } else {
    d.progress({ kind: 'info', message: `Deleted security group ${id}` });
  }
  await forget(d, (r) => delete r.securityGroupId);
}

async function removeKeyPair(d: TeardownDeps, left: Leftover[]): Promise<void> {
  const r = d.ctx.config.resources;
  if (!r.keyPairName) return;
  try {
    await d.api.deleteKeyPair(r.keyPairName, r.keyPairId);
  } catch (e) {
    if (!isNotFound(e)) {
      left.push({ id: r.keyPairId ?? r.keyPairName, why: ec2Error(e, 'DeleteKeyPair', `key pair ${r.keyPairName}`, d.ctx.config.region).message });
      return;
    }
  }
  await forget(d, (res) => {
    delete res.keyPairName;
    delete res.keyPairId;
  });
}
