"""``{% load inbox %}``: the unread count for the page header.

``{% inbox_badge %}`` renders the header link with the count (one indexed COUNT per page);
``{% unread_count %}`` gives the bare number (``{% unread_count as n %}``).
"""

from __future__ import annotations

from typing import Any

from django import template

from civicgrid.notifications import selectors

register = template.Library()


_CACHE_ATTR = "_civicgrid_unread_count"


def _count(context: template.Context) -> int:
    """Counted once per request, however many tags on the page ask."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None:
        return 0
    if request is None:
        return selectors.unread_count(user)
    if not hasattr(request, _CACHE_ATTR):
        setattr(request, _CACHE_ATTR, selectors.unread_count(user))
    return int(getattr(request, _CACHE_ATTR))


@register.simple_tag(takes_context=True)
def unread_count(context: template.Context) -> int:
    return _count(context)


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def inbox_badge(context: template.Context) -> dict[str, Any]:
    return {"count": _count(context), "oob": False}
