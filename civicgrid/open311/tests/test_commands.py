"""``civicgrid open311-client``: the key is printed once and stored only hashed."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from civicgrid.audit.models import AuditEntry
from civicgrid.cli import main
from civicgrid.open311.models import ClientApplication
from civicgrid.open311.services import client_for_key

# The console entry point closes database connections when a command ends (as manage.py does), which
# a test transaction would not survive: these tests commit instead.
pytestmark = [pytest.mark.django_db(transaction=True)]


def test_add_prints_the_key_once_and_stores_its_hash(capsys: pytest.CaptureFixture[str]) -> None:
    main(["open311-client", "add", "市民通", "--contact", "ops@example.com"])
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0] == "client: 市民通"
    key = lines[1].removeprefix("api_key: ")
    assert len(key) >= 40
    assert "shown only now" in out.err
    client = ClientApplication.objects.get()
    assert (client.key_hash, client.key_prefix, client.contact) == (
        hashlib.sha256(key.encode()).hexdigest(), key[:8], "ops@example.com",
    )  # fmt: skip
    assert key not in str(list(ClientApplication.objects.values()))
    assert client_for_key(key) == client
    assert AuditEntry.objects.filter(action="open311.client_add").count() == 1

    main(["open311-client", "list"])
    assert capsys.readouterr().out.startswith(f"市民通\t{key[:8]}…\tactive\tlast used ")

    main(["open311-client", "rotate", "市民通"])
    new_key = capsys.readouterr().out.splitlines()[1].removeprefix("api_key: ")
    assert client_for_key(key) is None and client_for_key(new_key) == client

    main(["open311-client", "disable", "市民通"])
    assert client_for_key(new_key) is None
    main(["open311-client", "enable", "市民通"])
    assert client_for_key(new_key) == client


def test_errors() -> None:
    call_command("open311_client", "add", "A")
    with pytest.raises(CommandError, match="已有同名客户端"):
        call_command("open311_client", "add", "A")
    with pytest.raises(CommandError, match="needs a NAME"):
        call_command("open311_client", "add")
    with pytest.raises(CommandError, match="no client named"):
        call_command("open311_client", "rotate", "B")
