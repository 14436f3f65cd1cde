"""Request logging: one structured line per request."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("civicgrid.request")

# Paths that carry a resident's secret (a tracking code or Open311 token): logged masked.
_SECRET_PATHS = re.compile(r"^(/track/|/open311/v2/tokens/)[^/.]+")


def loggable_path(path: str) -> str:
    """The request path with tracking codes and tokens replaced by ``***``."""
    return _SECRET_PATHS.sub(r"\1***", path)


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": loggable_path(request.path),
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": user.get_username() if user is not None and user.is_authenticated else "-",
            },
        )
        return response
