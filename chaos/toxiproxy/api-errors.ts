// The errors the HTTP API answers with, each with Toxiproxy's exact message and status (api.go).
// Code branches on the class; the message is what a client sees in {"error": ..., "status": ...}.

const HTTP_BAD_REQUEST = 400;
const HTTP_NOT_FOUND = 404;
const HTTP_CONFLICT = 409;
const HTTP_INTERNAL_SERVER_ERROR = 500;

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

/** Toxiproxy joins the decoder's complaint after a colon: "bad request body: EOF". */
export class BadRequestBodyError extends ApiError {
  override readonly name = 'BadRequestBodyError';
  constructor(detail: string) {
    super(`bad request body: ${detail}`, HTTP_BAD_REQUEST);
  }
}

export class MissingFieldError extends ApiError {
  override readonly name = 'MissingFieldError';
  constructor(field: string) {
    super(`missing required field: ${field}`, HTTP_BAD_REQUEST);
  }
}

export class ProxyNotFoundError extends ApiError {
  override readonly name = 'ProxyNotFoundError';
  constructor() {
    super('proxy not found', HTTP_NOT_FOUND);
  }
}

export class ProxyAlreadyExistsError extends ApiError {
  override readonly name = 'ProxyAlreadyExistsError';
  constructor() {
    super('proxy already exists', HTTP_CONFLICT);
  }
}

export class InvalidStreamError extends ApiError {
  override readonly name = 'InvalidStreamError';
  constructor() {
    super('stream was invalid, can be either upstream or downstream', HTTP_BAD_REQUEST);
  }
}

export class InvalidToxicTypeError extends ApiError {
  override readonly name = 'InvalidToxicTypeError';
  constructor() {
    super('invalid toxic type', HTTP_BAD_REQUEST);
  }
}

export class ToxicAlreadyExistsError extends ApiError {
  override readonly name = 'ToxicAlreadyExistsError';
  constructor() {
    super('toxic already exists', HTTP_CONFLICT);
  }
}

export class ToxicNotFoundError extends ApiError {
  override readonly name = 'ToxicNotFoundError';
  constructor() {
    super('toxic not found', HTTP_NOT_FOUND);
  }
}

/**
 * Not in Toxiproxy: a proxy may only listen on loopback unless the server was started to allow other
 * addresses, so that an API call cannot open the broker (or anything else) to the network.
 */
export class NonLoopbackListenError extends ApiError {
  override readonly name = 'NonLoopbackListenError';
  constructor(listen: string) {
    super(
      `listen address ${listen} is not loopback: proxies listen only on 127.0.0.1, ::1 or localhost ` +
        'unless the server allows others (--allow-non-loopback)',
      HTTP_BAD_REQUEST,
    );
  }
}

/** A proxy could not bind its listen address; Toxiproxy passes Go's net error through as a 500. */
export class ListenError extends ApiError {
  override readonly name = 'ListenError';
  constructor(message: string) {
    super(message, HTTP_INTERNAL_SERVER_ERROR);
  }
}

/** Internal: starting a proxy that already runs. POST /reset ignores it; elsewhere it would be a 500. */
export class ProxyAlreadyStartedError extends ApiError {
  override readonly name = 'ProxyAlreadyStartedError';
  constructor() {
    super('Proxy already started', HTTP_INTERNAL_SERVER_ERROR);
  }
}
