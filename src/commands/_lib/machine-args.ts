import { Args } from '@oclif/core';

/** Zero or more machine names; none means the machine called `default`. */
export const machineNamesArg = { names: Args.string({ description: 'Machine names (default: "default")' }) };
/** One machine name, `default` when omitted. */
export const machineNameArg = { name: Args.string({ description: 'Machine name', default: 'default' }) };
