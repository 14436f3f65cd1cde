"""API tokens that expire (API 令牌有效期): a token is good for ``CIVICGRID["API_TOKEN_SECONDS"]`` after it
was issued (default: the session's ``SESSION_COOKIE_AGE``, 8 hours), like a signed-in page; then the client
signs in again (``POST /api/v1/people/auth/token/``), which issues a fresh one.

DRF's own ``TokenAuthentication`` keeps a token valid until the account is switched off, so a key copied
once (a log, a laptop) would open the API for ever.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from civicgrid.core.generations import KeyedGenerationCache


def token_lifetime() -> timedelta:
    seconds = getattr(settings, "CIVICGRID", {}).get("API_TOKEN_SECONDS", settings.SESSION_COOKIE_AGE)
    return timedelta(seconds=float(seconds))


def token_expired(token: Any) -> bool:
    return bool(token.created <= timezone.now() - token_lifetime())


def _load_active_token(key: str) -> Token | None:
    return Token.objects.select_related("user").filter(key=key, user__is_active=True).first()


# Token key → the token and its (active) user, per process; a new, deleted or rotated token and any change
# to a user redraw the tokens' generations, so the next request loads again (core.generations).
_active_tokens: KeyedGenerationCache[str, Token | None] = KeyedGenerationCache(
    ("authtoken_token", "people_user"), _load_active_token, maxsize=4096
)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused once the token is older than its lifetime."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        cached = _active_tokens.get(key)
        if cached is None or not cached.user.is_active:
            # Unknown key or inactive user: DRF's own lookup answers, with DRF's own messages.
            user, token = super().authenticate_credentials(key)
        else:
            # Every request gets its own objects: nothing it sets can reach another request.
            user, token = copy.copy(cached.user), copy.copy(cached)
            token.user = user
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("认证令牌已过期，请重新登录获取。"))
        return user, token
