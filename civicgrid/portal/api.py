"""Staff API for intake: duplicate candidates of a case, for the accepting staff (same category, near, recent,
similar wording). Only cases the user may see are listed."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.cases.models import Case
from civicgrid.people import authorization as authz
from civicgrid.portal.selectors import duplicate_candidates


class CandidateSerializer(serializers.Serializer[dict[str, Any]]):
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    created_at = serializers.DateTimeField()
    distance_m = serializers.FloatField(allow_null=True)
    similarity = serializers.FloatField()


class DuplicatesSerializer(serializers.Serializer[dict[str, Any]]):
    case = serializers.CharField()
    candidates = CandidateSerializer(many=True)


class DuplicateCandidatesView(APIView):
    """GET /api/v1/intake/cases/<number>/duplicates/ → [{number, title, state, created_at, distance_m, similarity}]."""

    @extend_schema(responses=DuplicatesSerializer, summary="Duplicate candidates of a case (疑似重复)")
    def get(self, request: Request, number: str) -> Response:
        case = get_object_or_404(authz.visible(request.user, Case.objects.all()), number=number)
        authz.require(request.user, "case.view", case)
        found = duplicate_candidates(
            category=case.category,
            lon=case.lon,
            lat=case.lat,
            text=f"{case.title} {case.description}",
            exclude=[case.pk],
            now=case.created_at,
            limit=20,
        )
        shown = Case.objects.filter(pk__in=[c.case.pk for c in found])
        visible_ids = set(authz.visible(request.user, shown).values_list("pk", flat=True))
        rows: list[dict[str, Any]] = [
            {
                "number": c.case.number,
                "title": c.case.title,
                "state": c.case.state,
                "created_at": c.case.created_at,
                "distance_m": round(c.distance_m, 1) if c.distance_m is not None else None,
                "similarity": round(c.text_similarity, 3),
            }
            for c in found
            if c.case.pk in visible_ids
        ]
        return Response(DuplicatesSerializer({"case": case.number, "candidates": rows}).data)
