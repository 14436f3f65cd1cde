"""``civicgrid open311-client add NAME [--contact …]`` prints the new key once; also ``list``, ``rotate NAME``,
``disable NAME`` and ``enable NAME``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from civicgrid.open311.models import ClientApplication
from civicgrid.open311.services import open311_client_add, open311_client_rotate, open311_client_set_active


class Command(BaseCommand):
    help = "Manage Open311 client applications and their API keys (a key is shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["add", "list", "rotate", "disable", "enable"])
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--contact", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action, name = options["action"], options["name"].strip()
        if action == "list":
            for client in ClientApplication.objects.order_by("name"):
                state = "active" if client.is_active else "disabled"
                used = client.last_used_at.isoformat(timespec="seconds") if client.last_used_at else "-"
                self.stdout.write(f"{client.name}\t{client.key_prefix}…\t{state}\tlast used {used}")
            return
        if not name:
            raise CommandError(f"{action} needs a NAME")
        try:
            if action == "add":
                made = open311_client_add(name=name, contact=options["contact"])
            else:
                found = ClientApplication.objects.filter(name=name).first()
                if found is None:
                    raise CommandError(f"no client named {name!r}")
                client = found
                if action == "rotate":
                    made = open311_client_rotate(client=client)
                else:
                    open311_client_set_active(client=client, active=action == "enable")
                    self.stdout.write(f"{name}: {'enabled' if action == 'enable' else 'disabled'}")
                    return
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"client: {made.client.name}")
        self.stdout.write(f"api_key: {made.key}")
        self.stderr.write("The key is shown only now; it is stored hashed and cannot be shown again.")
