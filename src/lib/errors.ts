import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The one error type routes throw; `app.onError` turns it into the JSON envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

/** The JSON envelope of an ApiError as a Response, for middleware that answers with a Response of its own. */
export function errorResponse(err: ApiError): Response {
  return Response.json(errorBody(err.code, err.message, err.details), { status: err.status, headers: err.headers });
}

export const notFound = (what: string, name: string) =>
  new ApiError(404, "not_found", `${what} '${name}' does not exist.`);

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new ApiError(400, code, message, details);
