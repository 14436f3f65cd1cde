"""The inbox page (收件箱): list, open, mark read, mark all read. htmx swaps single items in place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from civicgrid.people.models import User

from . import selectors, services
from .models import Notification


class InboxRequest(HttpRequest):
    """What these views see: a logged-in user (login_required) and django-htmx's details."""

    user: User
    htmx: HtmxDetails


PAGE_SIZE = 30


def _own_item(request: InboxRequest, pk: int) -> Notification:
    try:
        return selectors.inbox(request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404(_("没有这条通知。")) from None


@login_required
@require_GET
def inbox(request: InboxRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.inbox(request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def mark_read(request: InboxRequest, pk: int) -> HttpResponse:
    item = _own_item(request, pk)
    services.notification_mark_read(user=request.user, ids=[item.pk])
    if request.htmx:
        item.refresh_from_db()
        count = selectors.unread_count(request.user)
        return render(request, "notifications/_item_read.html", {"item": item, "count": count})
    return redirect(_back_to_inbox(request))


@login_required
@require_POST
def open_item(request: InboxRequest, pk: int) -> HttpResponse:
    """Mark the item read and go to what it is about."""
    item = _own_item(request, pk)
    services.notification_mark_read(user=request.user, ids=[item.pk])
    if item.link and url_has_allowed_host_and_scheme(item.link, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(item.link)
    return redirect(_back_to_inbox(request))


@login_required
@require_POST
def mark_all_read(request: InboxRequest) -> HttpResponse:
    marked = services.notification_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("已将 %(count)d 条通知标为已读。", "已将 %(count)d 条通知标为已读。", marked) % {"count": marked},
    )
    return redirect(_back_to_inbox(request))


def _back_to_inbox(request: InboxRequest) -> str:
    url = reverse("notifications:inbox")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url
