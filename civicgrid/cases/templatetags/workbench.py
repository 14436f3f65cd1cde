"""Template tags of the workbench: the "工作台" link for the site header and the intake permission.

In base.html: ``{% load workbench %}`` and, inside ``{% block nav %}``, ``{% workbench_nav %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from civicgrid.people import authorization as authz

register = template.Library()


@register.simple_tag(takes_context=True)
def workbench_nav(context: dict[str, Any]) -> SafeString | str:
    """A "工作台" link to the to-do list, for users who work cases; nothing for anyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not authz.can(user, "case.list"):
        return ""
    return format_html('<a class="workbench-link" href="{}">{}</a>', reverse("cases:todo"), _("工作台"))


@register.simple_tag(takes_context=True)
def may_create_case(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return bool(request is not None and authz.can(request.user, "case.create"))
