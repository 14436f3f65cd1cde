"""Field encryption and blind indexes: round trips, tamper detection, key handling, the model field."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection, models
from django.test.utils import isolate_apps

from civicgrid.core import crypto

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = bytes(range(32, 64)).hex()


@pytest.fixture(autouse=True)
def fresh_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CIVICGRID_FIELD_KEY", KEY_A)
    monkeypatch.delenv("CIVICGRID_FIELD_KEYS_OLD", raising=False)
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def test_round_trip_with_a_fresh_nonce_each_time() -> None:
    first = crypto.encrypt("420683199001011234", context="c")
    second = crypto.encrypt("420683199001011234", context="c")
    assert first != second
    assert first.startswith(f"gcm1${crypto.current_key_id()}$")
    assert "420683199001011234" not in first
    assert crypto.decrypt(first, context="c") == "420683199001011234"
    assert crypto.decrypt(crypto.encrypt("张三 13800000000", context=""), context="") == "张三 13800000000"


def test_wrong_context_or_tampering_is_refused() -> None:
    token = crypto.encrypt("secret", context="party.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="party.id_number")
    prefix, key_id, body = token.split("$")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    tampered = f"{prefix}${key_id}${base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="party.phone")
    for junk in ("plain text", "gcm1$abc", "gcm2$x$y", f"gcm1$ffffffff${body}"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(junk, context="party.phone")


def test_hex_and_base64_keys_are_accepted_and_bad_keys_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICGRID_FIELD_KEY", KEY_B)
    crypto.reset_keys()
    assert crypto.decrypt(crypto.encrypt("x"), context="") == "x"
    for bad in ("short", "a" * 63, base64.b64encode(b"k" * 16).decode()):
        monkeypatch.setenv("CIVICGRID_FIELD_KEY", bad)
        crypto.reset_keys()
        with pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x")


def test_old_keys_still_decrypt_after_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    old_token = crypto.encrypt("13812345678", context="phone")
    old_id = crypto.current_key_id()
    monkeypatch.setenv("CIVICGRID_FIELD_KEY", KEY_B)
    crypto.reset_keys()
    assert crypto.current_key_id() != old_id
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old_token, context="phone")
    monkeypatch.setenv("CIVICGRID_FIELD_KEYS_OLD", KEY_A)
    crypto.reset_keys()
    assert crypto.decrypt(old_token, context="phone") == "13812345678"
    assert crypto.encrypt("new", context="phone").split("$")[1] == crypto.current_key_id()


def test_key_is_generated_once_into_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.delenv("CIVICGRID_FIELD_KEY")
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    crypto.reset_keys()
    token = crypto.encrypt("kept")
    key_file = tmp_path / "field_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    first_key = key_file.read_text()
    crypto.reset_keys()
    assert crypto.decrypt(token) == "kept"
    assert key_file.read_text() == first_key
    assert len(base64.urlsafe_b64decode(first_key)) == 32
    assert os.environ.get("CIVICGRID_FIELD_KEY") is None


def test_blind_index_is_keyed_deterministic_and_separated_by_context(monkeypatch: pytest.MonkeyPatch) -> None:
    a = crypto.blind_index("42068319900101123X", context="id")
    assert a == crypto.blind_index("42068319900101123X", context="id")
    assert len(a) == 64
    assert a != crypto.blind_index("42068319900101123X", context="phone")
    assert a != crypto.blind_index("420683199001011236", context="id")
    assert crypto.blind_index("", context="id") == ""
    monkeypatch.setenv("CIVICGRID_FIELD_KEY", KEY_B)
    crypto.reset_keys()
    assert crypto.blind_index("42068319900101123X", context="id") != a


def _secretive_model() -> type[models.Model]:
    """A throwaway model with one encrypted column, in an isolated app registry (it never reaches
    the project's registry, so system checks and other tests do not see it)."""

    class SecretiveRow(models.Model):
        secret = crypto.EncryptedTextField(blank=True, null=True, context="tests.secretive.secret")

        class Meta:
            app_label = "core"
            db_table = "core_test_secretive_row"

        def __str__(self) -> str:
            return str(self.pk)

    return SecretiveRow


@pytest.fixture
def secretive(transactional_db: None) -> Iterator[type[models.Model]]:
    with isolate_apps("civicgrid.core"):
        model = _secretive_model()
        with connection.schema_editor() as editor:
            editor.create_model(model)
        try:
            yield model
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(model)


def test_encrypted_field_stores_ciphertext_and_reads_plaintext(secretive: Any) -> None:
    model = secretive
    row = model.objects.create(secret="110105194912310025")
    empty = model.objects.create(secret="")
    missing = model.objects.create(secret=None)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {model._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608
        raw = cursor.fetchone()[0]
    assert "110105194912310025" not in raw
    assert crypto.decrypt(raw, context="tests.secretive.secret") == "110105194912310025"
    assert model.objects.get(pk=row.pk).secret == "110105194912310025"
    assert model.objects.get(pk=empty.pk).secret == ""
    assert model.objects.get(pk=missing.pk).secret is None
    assert list(model.objects.filter(secret__isnull=True).values_list("pk", flat=True)) == [missing.pk]
    with pytest.raises(FieldError):
        model.objects.filter(secret="110105194912310025").count()
    with pytest.raises(FieldError):
        model.objects.filter(secret__contains="1101").count()


def test_field_deconstructs_with_its_context() -> None:
    with isolate_apps("civicgrid.core"):
        field = _secretive_model()._meta.get_field("secret")
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "civicgrid.core.crypto.EncryptedTextField"
    assert kwargs["context"] == "tests.secretive.secret"
