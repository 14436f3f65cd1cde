"""The reminders job: registered with the worker, idempotent, never sends a cancelled reminder; and the
system checks for the PDF's requirements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from civicgrid.core.jobs import load_job_modules, registered_jobs
from civicgrid.disputes import services
from civicgrid.disputes.checks import agreement_pdf_requirements
from civicgrid.disputes.models import MediationReminder, Outcome, PartyRole, PerformanceStatus, ReminderKind
from civicgrid.notifications.models import Notification

from .conftest import NOW, new_dispute, person

pytestmark = pytest.mark.django_db


def test_the_job_is_registered() -> None:
    load_job_modules()
    job = next(job for job in registered_jobs() if job.name == "disputes.reminders")
    assert job.every_seconds == 300


def test_reminders_are_sent_once_and_cancelled_when_performed(
    world: Any, personas: Any, categories: Any, roster: Any, clock: Any
) -> None:
    mediation = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_1,
        parties=[person(PartyRole.APPLICANT, "甲"), person(PartyRole.RESPONDENT, "乙")],
    )
    services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.lead)
    services.session_record(
        user=personas.mediator, mediation=mediation, held_at=NOW - dt.timedelta(hours=1), place="村委会", record="和解"
    )
    services.mediation_conclude(
        user=personas.mediator,
        mediation=mediation,
        outcome=Outcome.AGREEMENT,
        agreement=services.AgreementTerms(
            form="oral", terms="乙当面道歉并清理杂物。", performance_deadline=dt.date(2025, 3, 10)
        ),
    )
    mediation.refresh_from_db()
    assert mediation.agreement_signed_on == dt.date(2025, 3, 5)  # an oral agreement takes effect at once
    assert mediation.agreement_number is None
    # Performed early: the follow-up reminders are cancelled, nothing is sent.
    services.performance_check_record(
        user=personas.mediator, mediation=mediation, checked_on=dt.date(2025, 3, 5), status=PerformanceStatus.FULL
    )
    assert set(
        MediationReminder.objects.filter(mediation=mediation, cancelled_at__isnull=False).values_list("kind", flat=True)
    ) == {ReminderKind.PERFORMANCE_DUE, ReminderKind.PERFORMANCE_FOLLOW_UP}
    later = NOW + dt.timedelta(days=30)
    assert services.reminders_send_due(now=later) == 0
    assert not Notification.objects.filter(event__startswith="dispute.performance").exists()


def test_the_pdf_requirements_are_met_on_this_machine() -> None:
    assert agreement_pdf_requirements() == []
