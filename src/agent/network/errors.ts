import { ApiError } from '../http/api-error';

export { badRequest, conflict, notFound } from '../http/api-error';
export const forbidden = (msg: string): ApiError => new ApiError(403, msg);
export const serverError = (msg: string): ApiError => new ApiError(500, msg);
