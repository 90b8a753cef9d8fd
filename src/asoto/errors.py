"""The engine's exceptions, each with a stable code and an HTTP status.

    AsotoError                      (500, internal_error)
    ├── BadRequest                  (400, bad_request)
    │   └── MalformedJSON           (400, malformed_json)
    ├── Unauthenticated             (401, unauthenticated)
    ├── Forbidden                   (403, forbidden)
    ├── NotFound                    (404, not_found)
    ├── Conflict                    (409, conflict)
    │   ├── ThreadBusy              (409, thread_busy)
    │   └── NotInterrupted          (409, not_interrupted)
    ├── PayloadTooLarge             (413, payload_too_large)
    ├── InvalidInput                (422, invalid_input)
    └── RateLimited                 (429, rate_limited; with Retry-After)

Domain code raises these and never ``HTTPException``; ``api.errors`` maps them to
``{"detail": str, "code": str}`` in one handler.
"""

from __future__ import annotations


class AsotoError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class BadRequest(AsotoError):
    status_code = 400
    code = "bad_request"


class MalformedJSON(BadRequest):
    code = "malformed_json"


class Unauthenticated(AsotoError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(AsotoError):
    status_code = 403
    code = "forbidden"


class NotFound(AsotoError):
    status_code = 404
    code = "not_found"


class Conflict(AsotoError):
    status_code = 409
    code = "conflict"


class ThreadBusy(Conflict):
    code = "thread_busy"


class NotInterrupted(Conflict):
    code = "not_interrupted"


class PayloadTooLarge(AsotoError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(AsotoError):
    status_code = 422
    code = "invalid_input"


class RateLimited(AsotoError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after_s = max(1, int(retry_after_s + 0.999))
