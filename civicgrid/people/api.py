"""People API: sign in for a token (with the login page's lockout and audit), and "who am I"."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.people import services
from civicgrid.people.selectors import user_profile


class TokenRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenObtainView(APIView):
    """POST username and password, get ``{"token": …}``; use it as ``Authorization: Token …``."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            429: inline_serializer("LockedOut", {"detail": serializers.CharField(), "code": serializers.CharField()}),
        },
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            key = services.api_token_obtain(
                username=data.validated_data["username"],
                password=data.validated_data["password"],
                request=request._request,
            )
        except services.LoginLockedOut as exc:
            # Answer in JSON ourselves instead of axes' HTML lockout page.
            request._request.axes_locked_out = False  # type: ignore[attr-defined]
            return Response({"detail": str(exc), "code": "locked_out"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        return Response({"token": key})


class MeView(APIView):
    """The signed-in user's account and roles."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "name": serializers.CharField(),
                "is_staff": serializers.BooleanField(),
                "roles": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        return Response(user_profile(user=request.user))
