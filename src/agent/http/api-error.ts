/**
 * An error answered to the client as `{"message": ...}` with the status dockerd would use
 * (the docker CLI acts on status codes: a 404 on create makes it pull, 304 means no change).
 */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (msg: string): ApiError => new ApiError(400, msg);
export const notFound = (msg: string): ApiError => new ApiError(404, msg);
export const conflict = (msg: string): ApiError => new ApiError(409, msg);
export const notModified = (): ApiError => new ApiError(304, '');
export const notImplemented = (msg: string): ApiError => new ApiError(501, msg);

/** The status and message to answer for any thrown value (unknown errors are 500s). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(500, e instanceof Error ? e.message : String(e));
}
