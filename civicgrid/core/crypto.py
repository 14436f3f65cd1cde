"""Field encryption at rest (AES-256-GCM) and keyed "blind indexes" for exact-match lookups.

Residents' ID numbers and phones are stored only as ciphertext; a column beside them keeps an HMAC of
the normalised value, so "the same ID number again" is one indexed equality query that never
decrypts anything and reveals nothing without the key.

The master key comes from ``CIVICGRID_FIELD_KEY`` (32 bytes as base64 or 64 hex digits), else it is
generated once into ``DATA_DIR/field_key`` (mode 0600), like the secret key. Separate sub-keys for
encryption and for blind indexes are derived from it with HKDF. Tokens name the key they were made
with (``gcm1$<key id>$<base64>``), so after a rotation old rows still decrypt when the previous keys are
listed in ``CIVICGRID_FIELD_KEYS_OLD`` (comma-separated); blind indexes must then be recomputed.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import IsNull

TOKEN_PREFIX = "gcm1"  # noqa: S105 - a format tag, not a secret
_NONCE_BYTES = 12
_KEY_BYTES = 32


class DecryptionError(ValueError):
    """A stored token is malformed, was made with an unknown key, or was tampered with."""


@dataclass(frozen=True)
class _Key:
    key_id: str
    encryption: bytes
    index: bytes


def _parse_key(text: str, source: str) -> bytes:
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 2 * _KEY_BYTES:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != _KEY_BYTES:
        raise ImproperlyConfigured(f"{source}: the field key must be 32 bytes, as base64 or 64 hex digits")
    return raw


def _derive(master: bytes) -> _Key:
    def hkdf(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(master)

    key_id = hashlib.sha256(b"civicgrid-key-id" + master).hexdigest()[:8]
    return _Key(
        key_id=key_id, encryption=hkdf(b"civicgrid field encryption v1"), index=hkdf(b"civicgrid blind index v1")
    )


def _master_key() -> bytes:
    if value := os.environ.get("CIVICGRID_FIELD_KEY"):
        return _parse_key(value, "CIVICGRID_FIELD_KEY")
    key_file = Path(settings.DATA_DIR) / "field_key"
    if not key_file.exists():
        text = base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode()
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
    return _parse_key(key_file.read_text(), str(key_file))


@functools.cache
def _keyring() -> tuple[_Key, dict[str, _Key]]:
    """The current key and every key that may decrypt, by id."""
    current = _derive(_master_key())
    by_id = {current.key_id: current}
    for number, text in enumerate(os.environ.get("CIVICGRID_FIELD_KEYS_OLD", "").split(",")):
        if text.strip():
            old = _derive(_parse_key(text, f"CIVICGRID_FIELD_KEYS_OLD[{number}]"))
            by_id.setdefault(old.key_id, old)
    return current, by_id


def reset_keys() -> None:
    """Forget the loaded keys (tests that change the environment call this)."""
    _keyring.cache_clear()


def current_key_id() -> str:
    return _keyring()[0].key_id


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt ``plaintext`` with a fresh random nonce. ``context`` is bound as associated data:
    a token only decrypts under the same context (so a ciphertext cannot be moved to another column)."""
    key = _keyring()[0]
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key.encryption).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{TOKEN_PREFIX}${key.key_id}${base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str, *, context: str = "") -> str:
    """The plaintext of a token from :func:`encrypt`; raises :class:`DecryptionError` otherwise."""
    try:
        prefix, key_id, body = token.split("$")
    except ValueError:
        raise DecryptionError("not an encrypted token") from None
    if prefix != TOKEN_PREFIX:
        raise DecryptionError(f"unknown token format {prefix!r}")
    key = _keyring()[1].get(key_id)
    if key is None:
        raise DecryptionError(f"token made with unknown key {key_id!r} (list it in CIVICGRID_FIELD_KEYS_OLD)")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        plain = AESGCM(key.encryption).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
    except (binascii.Error, ValueError, InvalidTag):
        raise DecryptionError("token does not decrypt: wrong context, wrong key or tampered") from None
    return plain.decode("utf-8")


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX + "$")


def blind_index(value: str, *, context: str) -> str:
    """A keyed HMAC-SHA256 (hex) of ``value`` for exact-match lookups without decrypting.

    The caller normalises ``value`` first (e.g. upper-case ID numbers, digits-only phones); the
    ``context`` keeps indexes of different kinds of value apart. Empty values index to "".
    """
    if not value:
        return ""
    message = context.encode("utf-8") + b"\x00" + value.encode("utf-8")
    return hmac.new(_keyring()[0].index, message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored as an AES-GCM token; Python code sees the plaintext.

    Only ``isnull`` lookups work: equal plaintexts encrypt differently every time, so filter on a
    blind-index column instead. Admin and forms see the plaintext, so never list such a field in an
    admin or serializer without masking it.
    """

    description = "Text encrypted at rest (AES-GCM)"

    def __init__(self, *args: Any, context: str = "", **kwargs: Any) -> None:
        self.context = context
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.context:
            kwargs["context"] = self.context
        return name, path, args, kwargs

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None  # Django then raises FieldError("Unsupported lookup …")
        return IsNull

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value  # type: ignore[no-any-return]
        return decrypt(value, context=self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), context=self.context)
