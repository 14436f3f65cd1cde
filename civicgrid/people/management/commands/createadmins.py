"""Create the three separated administrators (系统管理员、安全管理员、审计管理员) of a fresh installation.

civicgrid has no superuser: power comes from roles, and 等保 2.0 wants the system, security and audit
administrators to be different people. This command is how the first accounts come to exist::

    civicgrid manage createadmins                    # asks for three passwords
    civicgrid manage createadmins --no-input         # passwords from CIVICGRID_<ROLE>_PASSWORD or generated

Roles that already have an active holder are skipped, so running it again changes nothing. From then on the
security administrator creates accounts and assigns roles in the admin. Every account is audited as created
by "system".
"""

from __future__ import annotations

import getpass
import os
import secrets
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.people.models import Role
from civicgrid.people.services import admins_bootstrap

ADMINS = [
    (Role.SYSTEM_ADMIN, "sysadmin", "CIVICGRID_SYSTEM_ADMIN_PASSWORD"),
    (Role.SECURITY_ADMIN, "secadmin", "CIVICGRID_SECURITY_ADMIN_PASSWORD"),
    (Role.AUDIT_ADMIN, "auditadmin", "CIVICGRID_AUDIT_ADMIN_PASSWORD"),
]


def generate_password(length: int = 16) -> str:
    """A random password with all four character classes."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*-_=+"]
    chars = [secrets.choice(c) for c in classes]
    pool = "".join(classes)
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class Command(BaseCommand):
    help = "Create the system, security and audit administrator accounts (skips roles already held)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--system-username", default="sysadmin")
        parser.add_argument("--security-username", default="secadmin")
        parser.add_argument("--audit-username", default="auditadmin")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Take passwords from CIVICGRID_<ROLE>_PASSWORD variables, else generate and print them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        usernames = {
            Role.SYSTEM_ADMIN: options["system_username"],
            Role.SECURITY_ADMIN: options["security_username"],
            Role.AUDIT_ADMIN: options["audit_username"],
        }
        accounts: list[tuple[str, str, str]] = []
        generated: dict[str, str] = {}
        for role, _default, env_name in ADMINS:
            password = os.environ.get(env_name)
            if not password and options["interactive"]:
                password = getpass.getpass(f"{role.label} ({usernames[role]}) password: ")
            if not password:
                password = generate_password()
                generated[usernames[role]] = password
            accounts.append((role.value, usernames[role], password))
        try:
            created = admins_bootstrap(accounts=accounts)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if not created:
            self.stdout.write("All three administrator roles already have active holders; nothing created.")
        for user in created:
            line = f"created {user.username}"
            if user.username in generated:
                line += f"  password: {generated[user.username]}"
            self.stdout.write(line)
