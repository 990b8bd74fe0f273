/**
 * Internal template errors. The public entry points (go-template.ts) turn them into
 * TsmError INVALID_FLAG naming the flag the template came from.
 */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** `kind: 'field'` marks an unknown field, so callers can tell it from other execution errors. */
export class TemplateExecError extends Error {
  constructor(
    message: string,
    readonly kind: 'field' | 'other' = 'other',
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = 'TemplateExecError';
  }
}
