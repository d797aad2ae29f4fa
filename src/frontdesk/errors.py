"""One exception hierarchy; the HTTP layer maps each class to a status and a JSON problem."""

from __future__ import annotations


class FrontdeskError(Exception):
    """An error the caller can act on: a stable code, a readable message, maybe a field."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(FrontdeskError):
    status = 422
    code = "invalid"


class InvalidFields(InvalidInput):
    """Several fields at once (a form): ``fields`` maps each bad field to what is wrong."""

    def __init__(self, fields: dict[str, str]):
        first = next(iter(fields))
        super().__init__(f"{len(fields)} field(s) need attention: {fields[first]}", field=first)
        self.fields = fields

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        error = data["error"]
        assert isinstance(error, dict)
        error["fields"] = self.fields
        return data


class NotFound(FrontdeskError):
    status = 404
    code = "not_found"


class Conflict(FrontdeskError):
    status = 409
    code = "conflict"


class PayloadTooLarge(FrontdeskError):
    status = 413
    code = "too_large"


class RequestTimeout(FrontdeskError):
    status = 408
    code = "request_timeout"


class UnsupportedMedia(FrontdeskError):
    status = 415
    code = "unsupported_type"


class SourceFailed(FrontdeskError):
    """A document could not be turned into text; the message is shown on the source."""

    status = 422
    code = "source_failed"


class Unauthorized(FrontdeskError):
    status = 401
    code = "unauthenticated"


class Forbidden(FrontdeskError):
    status = 403
    code = "forbidden"


class TooManyRequests(FrontdeskError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s
