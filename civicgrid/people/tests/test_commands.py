"""``civicgrid manage createadmins``: the way a fresh installation gets its three administrators."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from civicgrid.audit.models import AuditEntry
from civicgrid.people.management.commands.createadmins import generate_password
from civicgrid.people.models import User


def run(*args, **env):
    out = io.StringIO()
    call_command("createadmins", *args, stdout=out)
    return out.getvalue()


def test_no_input_generates_and_prints_passwords_once(db):
    output = run("--no-input")
    lines = output.strip().splitlines()
    assert [line.split()[1] for line in lines] == ["sysadmin", "secadmin", "auditadmin"]
    for line in lines:
        username, password = re.fullmatch(r"created (\S+)  password: (\S+)", line).groups()
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert user.is_staff and not user.is_superuser
    assert [u.roles.get().role for u in User.objects.order_by("id")] == [
        "system_admin",
        "security_admin",
        "audit_admin",
    ]
    assert AuditEntry.objects.filter(actor_name="system").count() == 6
    # Again: nothing to do.
    assert run("--no-input").strip() == "All three administrator roles already have active holders; nothing created."
    assert User.objects.count() == 3


def test_passwords_from_environment_and_custom_names(db, monkeypatch):
    monkeypatch.setenv("CIVICGRID_SYSTEM_ADMIN_PASSWORD", "Sys-Admin-Env-1")
    monkeypatch.setenv("CIVICGRID_SECURITY_ADMIN_PASSWORD", "Sec-Admin-Env-1")
    monkeypatch.setenv("CIVICGRID_AUDIT_ADMIN_PASSWORD", "Aud-Admin-Env-1")
    output = run(
        "--no-input", "--system-username", "xitong", "--security-username", "anquan", "--audit-username", "shenji"
    )
    assert output.strip().splitlines() == ["created xitong", "created anquan", "created shenji"]
    assert User.objects.get(username="anquan").check_password("Sec-Admin-Env-1")


def test_weak_environment_password_is_refused(db, monkeypatch):
    monkeypatch.setenv("CIVICGRID_SYSTEM_ADMIN_PASSWORD", "password")
    with pytest.raises(CommandError, match="3 类"):
        run("--no-input")
    assert User.objects.count() == 0  # one transaction: nothing half-created


@pytest.mark.parametrize("attempt", range(5))
def test_generated_passwords_pass_the_rules(attempt):
    password = generate_password()
    assert len(password) == 16
    validate_password(password)
