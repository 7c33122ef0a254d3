import type {IncomingMessage, ServerResponse} from 'node:http'

/** A request that cannot be served, with the HTTP status and the OpenAI-style `param` and `code` it answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

/** OpenAI's error shape: `{"error":{"message","type","param","code"}}`. */
export function errorBody(error: HttpError): string {
  const type = error.status >= 500 ? 'server_error' : 'invalid_request_error'
  return JSON.stringify({error: {message: error.message, type, param: error.param ?? null, code: error.code ?? null}})
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, {'content-type': 'application/json', ...headers}).end(JSON.stringify(body))
}

/**
 * Answers with the error. A request whose body was not read to its end is drained (up to `drainBytes`, then dropped),
 * so the client reads the answer instead of a reset connection.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: HttpError, drainBytes = 1 << 20): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const complete = req.complete
  res.writeHead(error.status, {'content-type': 'application/json', ...(complete ? {} : {connection: 'close'})}).end(errorBody(error))
  if (!complete) drain(req, res, drainBytes)
}

/** Reads and discards the rest of a request body, up to `limit` bytes; beyond that the connection is dropped once the answer is out. */
function drain(req: IncomingMessage, res: ServerResponse, limit: number): void {
  let seen = 0
  let dropping = false
  const drop = (): void => {
    if (dropping) return
    dropping = true
    if (res.writableFinished) req.destroy()
    else res.once('finish', () => req.destroy())
  }
  req.unpipe()
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length
    if (seen > limit) drop()
  })
  req.on('error', () => {})
  req.resume()
}

/** An error nobody planned for: logged with its stack, answered as a 500 without the details. */
export function internalError(error: unknown, where: string, log: (line: string) => void): HttpError {
  log(`${where}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  return new HttpError(500, 'internal server error', undefined, 'internal_error')
}
