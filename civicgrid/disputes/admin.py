"""Admin for the disputes code tables (risk rules, keywords, knobs) and the mediator roster.

Mediation records are handled on the dispute pages, never here: the admin would show parties' ID
numbers and phones in clear.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from civicgrid.people.admin_base import AuthorizedAdmin

from .models import DisputeSetting, Mediator, RiskKeyword, RiskRule
from .services import mediator_check_regions


@admin.register(DisputeSetting)
class DisputeSettingAdmin(AuthorizedAdmin):
    list_display = ["key", "value", "description"]
    search_fields = ["key", "description"]


@admin.register(RiskRule)
class RiskRuleAdmin(AuthorizedAdmin):
    list_display = ["signal", "enabled", "level", "threshold", "window_days", "escalate", "alert"]
    list_editable = ["enabled", "level", "threshold", "window_days", "escalate", "alert"]


@admin.register(RiskKeyword)
class RiskKeywordAdmin(AuthorizedAdmin):
    list_display = ["word", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["word"]


class MediatorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Mediator
        fields = ["name", "kind", "user", "organisation", "phone", "regions", "categories", "is_active", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            mediator_check_regions(
                kind=data.get("kind", ""),
                regions=list(data.get("regions") or []),
                is_active=bool(data.get("is_active")),
                exclude_pk=self.instance.pk,
            )
        except ValidationError as error:
            self.add_error("regions", error.message_dict.get("regions", error.messages))
        return data


@admin.register(Mediator)
class MediatorAdmin(AuthorizedAdmin):
    form = MediatorForm
    list_display = ["name", "kind", "organisation", "user", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "organisation"]
    filter_horizontal = ["regions", "categories"]
