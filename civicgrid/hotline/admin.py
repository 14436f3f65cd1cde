"""Hotline sources (with their saved mappings) and import runs in the admin, plus the upload page:
dry run first, then import the same file with one click."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from civicgrid.hotline.models import HotlineImport, HotlineSource
from civicgrid.hotline.parsing import MAX_FILE_BYTES
from civicgrid.hotline.services import hotline_import
from civicgrid.people import authorization as authz
from civicgrid.people.admin_base import AuthorizedAdmin


@admin.register(HotlineSource)
class HotlineSourceAdmin(AuthorizedAdmin):
    list_display = ("name", "updated_at")
    fields = ("name", "column_mapping", "category_mapping")


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(label=gettext_lazy("数据源"), queryset=HotlineSource.objects.all())
    file = forms.FileField(label=gettext_lazy("工单文件（.xlsx 或 .csv）"))


@admin.register(HotlineImport)
class HotlineImportAdmin(AuthorizedAdmin):
    list_display = ("created_at", "source", "file_name", "dry_run", "rows_total", "rows_created", "rows_existing",
                    "rows_invalid", "created_by")  # fmt: skip
    readonly_fields = (*list_display, "sha256", "report")
    change_list_template = "hotline/admin_changelist.html"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # runs are made by the upload page

    def has_change_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="hotline_hotlineimport_upload")
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not authz.can(request.user, "hotline.import"):
            raise PermissionDenied
        context: dict[str, Any] = {**self.admin_site.each_context(request), "title": _("导入12345工单")}
        form = UploadForm()
        if request.method == "POST":
            try:
                run, stored = self._run(request)
            except ValidationError as exc:
                messages.error(request, pgettext("分句分隔符", "；").join(exc.messages))
            else:
                context.update(run=run, stored=stored)
                if not run.dry_run:
                    messages.success(request, _("已导入 %(n)d 条。") % {"n": run.rows_created})
        context["form"] = form
        return render(request, "hotline/admin_upload.html", context)

    def _run(self, request: HttpRequest) -> tuple[HotlineImport, str]:
        stored = request.POST.get("stored", "")
        if stored:  # "import now" after a dry run: the same bytes, kept under their hash
            source_id = request.POST.get("source", "")
            source = HotlineSource.objects.filter(pk=int(source_id)).first() if source_id.isdigit() else None
            if source is None or not stored.startswith("hotline/uploads/") or not default_storage.exists(stored):
                raise ValidationError(_("请重新上传文件。"))
            with default_storage.open(stored, "rb") as handle:
                data = handle.read()
            run = hotline_import(
                source=source, data=data, filename=request.POST.get("file_name", stored), dry_run=False,
                user=request.user,
            )  # fmt: skip
            default_storage.delete(stored)
            return run, ""
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("文件过大。"))
        data = upload.read()
        suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
        name = f"hotline/uploads/{hashlib.sha256(data).hexdigest()}{suffix}"
        run = hotline_import(
            source=form.cleaned_data["source"], data=data, filename=upload.name, dry_run=True, user=request.user
        )
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(data))
        return run, name
