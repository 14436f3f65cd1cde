"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import civicgrid


def site(request: HttpRequest) -> dict[str, Any]:
    return {"civicgrid_version": civicgrid.__version__}
