"""The disputes services, walked through as the people who use them: screening finds a dispute, it is
mediated in two sessions, a written agreement is signed and followed up; a failed mediation is referred;
a group dispute is escalated at once with the town told; ID numbers stay encrypted, masked and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from civicgrid.audit.models import AuditEntry
from civicgrid.cases.models import CaseEvent, State, Tier
from civicgrid.disputes import services
from civicgrid.disputes.models import (
    DocumentKind,
    Mediation,
    MediationReminder,
    Outcome,
    Party,
    PartyKind,
    PartyRole,
    PerformanceStatus,
    Referral,
    ReminderKind,
    RiskLevel,
    RiskRule,
    RiskSignal,
    ScreeningStatus,
)
from civicgrid.notifications.models import Notification

from .conftest import NOW, make_id, make_id_with_x, make_uscc, new_dispute, person, poppler

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "pdf"


def _at(day: dt.date, hour: int) -> dt.datetime:
    return services.local_morning(day, hour)


def _inbox(user: Any, event: str) -> list[str]:
    return list(Notification.objects.filter(user=user, event=event).values_list("subject", flat=True))


def test_screening_finds_a_dispute_that_is_mediated_agreed_printed_and_followed_up(
    world: Any, personas: Any, categories: Any, roster: Any, media: Path, clock: Any
) -> None:
    # The village center schedules a round for its two grids; the grid workers are told.
    today = dt.date(2025, 3, 5)
    round_ = services.screening_round_schedule(
        user=personas.village_center,
        region=world.village_a1,
        title="2025年3月矛盾纠纷排查",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        due_date=dt.date(2025, 3, 10),
    )
    assert sorted(round_.reports.values_list("grid__code", flat=True)) == [
        world.grid_a1_1.code,
        world.grid_a1_2.code,
    ]
    assert _inbox(personas.grid_worker, "dispute.screening_scheduled") == ["矛盾纠纷排查：2025年3月矛盾纠纷排查"]

    # The grid worker of grid_a1_1 finds one dispute: it becomes a dispute case, pre-filled.
    report = round_.reports.get(grid=world.grid_a1_1)
    applicant_id = make_id("19750612", "031")
    respondent_id = make_id_with_x("19820304")
    draft = services.DisputeDraft(
        category=categories.neighbours,
        title="张三与李四排水纠纷",
        facts="张三家排水管道经过李四家门前，雨天积水，双方多次争吵。",
        points_in_dispute="管道改道费用由谁承担",
        amount_involved="3000",
        parties=[
            person(PartyRole.APPLICANT, "张三", phone="13812345678", id_number=applicant_id, address="甲一村3组"),
            person(PartyRole.RESPONDENT, "李四", phone="13987654321", id_number=respondent_id, address="甲一村3组"),
        ],
    )
    report = services.screening_report_submit(
        user=personas.grid_worker, report=report, screened_on=today, disputes=[draft]
    )
    assert (report.status, report.found_count, report.screened_on) == (ScreeningStatus.FOUND, 1, today)
    mediation = Mediation.objects.get(screening_report=report)
    case = mediation.case
    assert (case.category, case.grid, case.tier, case.region) == (
        categories.neighbours,
        world.grid_a1_1,
        Tier.VILLAGE,
        world.village_a1,
    )
    assert case.channel == "grid_patrol"
    assert mediation.amount_involved == Decimal("3000.00")
    assert mediation.risk_level == RiskLevel.LOW
    zhang, li = mediation.parties.order_by("sort_order")
    assert (zhang.sex, zhang.birth_date) == ("male", dt.date(1975, 6, 12))  # derived from the ID number
    assert li.id_number == respondent_id

    # The village center (holding the case) chooses the lead mediator and a co-mediator.
    names = [s.mediator.name for s in services_suggest(personas.village_center, mediation)]
    assert names[0] == "李律师"  # the village's own legal advisor first; the elder only does family disputes
    assert "赵大爷" not in names and "孙调解" not in names
    services.mediation_assign(
        user=personas.village_center, mediation=mediation, lead=roster.lead, co_mediators=[roster.advisor]
    )
    assert _inbox(personas.mediator, "dispute.assigned") == [f"您被指定调解纠纷：{case.number}"]

    # Two sessions: one booked then recorded, one recorded straight away.
    booked = services.session_schedule(
        user=personas.mediator, mediation=mediation, held_at=_at(dt.date(2025, 3, 7), 9), place="甲一村调解室"
    )
    clock.move_to(_at(dt.date(2025, 3, 7), 12))
    services.session_record(
        user=personas.mediator,
        mediation=mediation,
        session=booked,
        held_at=_at(dt.date(2025, 3, 7), 9),
        place="甲一村调解室",
        attended_parties=[zhang, li],
        attended_mediators=[roster.lead, roster.advisor],
        record="双方陈述各自意见，李四同意管道改道但不愿承担费用。",
        next_step="实地查看管道走向后再次调解",
    )
    clock.move_to(_at(dt.date(2025, 3, 12), 16))
    services.session_record(
        user=personas.mediator,
        mediation=mediation,
        held_at=_at(dt.date(2025, 3, 12), 14),
        place="李四家门前",
        attended_parties=[zhang, li],
        record="现场查看后，双方同意各承担一半改道费用。",
        next_step="起草调解协议",
    )
    assert mediation.sessions.filter(recorded_at__isnull=False).count() == 2

    # Agreement in writing (Art. 29), with a deadline and the wish for court confirmation.
    deadline = dt.date(2025, 4, 15)
    mediation = services.mediation_conclude(
        user=personas.mediator,
        mediation=mediation,
        outcome=Outcome.AGREEMENT,
        agreement=services.AgreementTerms(
            form="written",
            responsibilities="张三未经协商铺设管道，负主要责任；李四阻挠施工，负次要责任。",
            terms="一、排水管道改道至村道边沟；二、改道费用3000元由张三、李四各承担1500元。",
            performance_manner="现金支付给施工方",
            performance_deadline=deadline,
            court_confirmation_wanted=True,
        ),
    )
    assert mediation.outcome == Outcome.AGREEMENT
    assert (mediation.outcome_tier, mediation.outcome_region) == (Tier.VILLAGE, world.village_a1)
    assert mediation.agreement_number == f"{world.village_a1.code}-2025-0001"
    assert mediation.committee_name == "甲一村人民调解委员会"
    reminders = dict(mediation.reminders.values_list("kind", "due_at"))
    assert reminders == {
        ReminderKind.PERFORMANCE_DUE: _at(dt.date(2025, 4, 12), 9),  # 3 days before
        ReminderKind.PERFORMANCE_FOLLOW_UP: _at(dt.date(2025, 4, 16), 9),  # the day after
    }

    # The PDF: Chinese, embedded CJK font, every copy, the parties, terms and deadline.
    document = services.agreement_generate(user=personas.mediator, mediation=mediation)
    assert document.kind == DocumentKind.AGREEMENT and document.content_type == "application/pdf"
    path = Path(document.file.path)
    fonts = poppler("pdffonts", path)
    font_rows = fonts.splitlines()[2:]
    assert font_rows and all(" yes " in row and "CJK" in row.replace("-", " ") for row in font_rows), fonts
    text = poppler("pdftotext", "-layout", path, "-")
    flat = "".join(text.split())
    for expected in (
        "人民调解协议书",
        f"编号：{mediation.agreement_number}",
        "申请人：张三",
        "被申请人：李四",
        "改道费用3000元由张三、李四各承担1500元",
        "张三未经协商铺设管道，负主要责任",
        "2025年4月15日前履行完毕",
        "第1份（共3份）申请人张三执",
        "第3份（共3份）甲一村人民调解委员会执",
        "签名（盖章或按指印）",
        "（盖章）",
    ):
        assert expected in flat, expected
    assert applicant_id not in flat and "13812345678" not in flat  # masked ID, no phone on paper
    assert f"{applicant_id[:6]}********{applicant_id[-4:]}" in flat
    pages = poppler("pdfinfo", path)
    assert "A4" in pages or "595.276 x 841.89" in pages
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    poppler("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", path, ARTIFACTS / "agreement")
    assert (ARTIFACTS / "agreement.png").stat().st_size > 10_000

    # The signed scan comes back; the Art. 33 window runs 30 days from signing, reminded 7 days before.
    clock.move_to(_at(dt.date(2025, 3, 14), 10))
    scan = services.signed_scan_attach(
        user=personas.mediator,
        mediation=mediation,
        upload=path.read_bytes(),
        filename="协议书签字版.pdf",
        signed_on=dt.date(2025, 3, 13),
    )
    assert (scan.kind, scan.original_name) == (DocumentKind.SIGNED_SCAN, "协议书签字版.pdf")
    mediation.refresh_from_db()
    assert mediation.court_confirmation_deadline == dt.date(2025, 4, 12)
    assert mediation.reminders.get(kind=ReminderKind.COURT_CONFIRMATION).due_at == _at(dt.date(2025, 4, 5), 9)

    # The reminders job sends each reminder once, when due.
    assert services.reminders_send_due(now=_at(dt.date(2025, 4, 4), 9)) == 0
    assert services.reminders_send_due(now=_at(dt.date(2025, 4, 5), 9)) == 1
    assert services.reminders_send_due(now=_at(dt.date(2025, 4, 5), 10)) == 0
    assert _inbox(personas.mediator, "dispute.court_confirmation") == [f"司法确认申请期限将至：{case.number}"]
    assert services.reminders_send_due(now=_at(dt.date(2025, 4, 16), 9)) == 2
    assert sorted(_inbox(personas.mediator, "dispute.performance_due")) == [f"调解协议履行期限将至：{case.number}"]

    # The follow-up: fully performed.
    clock.move_to(_at(dt.date(2025, 4, 17), 10))
    check = services.performance_check_record(
        user=personas.mediator,
        mediation=mediation,
        checked_on=dt.date(2025, 4, 17),
        status=PerformanceStatus.FULL,
        note="改道已完工，费用已付清。",
    )
    mediation.refresh_from_db()
    assert (check.status, mediation.performance_status) == (PerformanceStatus.FULL, PerformanceStatus.FULL)

    steps = list(
        CaseEvent.objects.filter(case=case, action="mediation").order_by("at", "id").values_list("data", flat=True)
    )
    assert [s["step"] for s in steps] == [
        "assigned",
        "session",
        "session",
        "outcome",
        "agreement",
        "signed_scan",
        "performance",
    ]


def services_suggest(user: Any, mediation: Mediation) -> list[Any]:
    from civicgrid.disputes.selectors import mediators_suggest

    return mediators_suggest(user=user, mediation=mediation)


def test_a_failed_mediation_records_the_referral(
    world: Any, personas: Any, categories: Any, roster: Any, clock: Any
) -> None:
    mediation = new_dispute(
        personas.village_center,
        categories.contract,
        grid=world.grid_a1_2,
        parties=[person(PartyRole.APPLICANT, "王五"), person(PartyRole.RESPONDENT, "赵六")],
        title="货款纠纷",
    )
    services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.advisor)
    with pytest.raises(ValidationError):  # no session yet
        services.mediation_conclude(
            user=personas.village_center, mediation=mediation, outcome=Outcome.NO_AGREEMENT, referral="litigation"
        )
    services.session_record(
        user=personas.village_center,
        mediation=mediation,
        held_at=NOW - dt.timedelta(hours=1),
        place="村委会",
        record="双方对货款数额分歧较大，赵六拒绝调解方案。",
    )
    with pytest.raises(ValidationError) as info:
        services.mediation_conclude(user=personas.village_center, mediation=mediation, outcome=Outcome.NO_AGREEMENT)
    assert "referral" in info.value.message_dict
    mediation = services.mediation_conclude(
        user=personas.village_center,
        mediation=mediation,
        outcome=Outcome.NO_AGREEMENT,
        referral=Referral.LITIGATION,
        referral_note="告知王五可向市人民法院起诉，并提供诉讼费用缓交申请指引。",
    )
    assert (mediation.outcome, mediation.referral) == (Outcome.NO_AGREEMENT, Referral.LITIGATION)
    assert mediation.agreement_number is None
    assert not MediationReminder.objects.filter(mediation=mediation).exists()
    event = CaseEvent.objects.filter(case=mediation.case, action="mediation").last()
    assert event is not None and event.note == "调解不成；告知途径：诉讼"
    with pytest.raises(ValidationError):  # the outcome is final
        services.mediation_conclude(
            user=personas.village_center, mediation=mediation, outcome=Outcome.TERMINATED, terminated_reason="x"
        )
    with pytest.raises(ValidationError):
        services.agreement_generate(user=personas.village_center, mediation=mediation)

    # The same two parties again later: "failed before" and "repeated" raise the risk at once.
    again = new_dispute(
        personas.village_center,
        categories.contract,
        grid=world.grid_a1_2,
        parties=[person(PartyRole.APPLICANT, "王五"), person(PartyRole.RESPONDENT, "赵六")],
        title="货款纠纷（再次）",
    )
    assert again.risk_level == RiskLevel.LOW  # without ID numbers or phones the parties cannot be matched
    for party, number in zip(again.parties.order_by("sort_order"), ("13700000001", "13700000002"), strict=True):
        services.party_update(
            user=personas.village_center,
            party=party,
            data=person(party.role, party.name, phone=number),
        )
    for party, number in zip(mediation.parties.order_by("sort_order"), ("13700000001", "13700000002"), strict=True):
        Party.objects.filter(pk=party.pk).update(
            identity_key=f"ph:{services.identity.phone_index(number)}"
        )  # the earlier record, as if it had the phones too
    assessment = services.mediation_assess_risk(mediation=again)
    assert assessment.level == RiskLevel.HIGH
    assert sorted(f.signal for f in assessment.findings) == [RiskSignal.FAILED_BEFORE, RiskSignal.REPEATED]


def test_a_group_dispute_is_escalated_at_once_and_the_town_and_police_are_told(
    world: Any, personas: Any, categories: Any
) -> None:
    applicants = [person(PartyRole.APPLICANT, f"村民{i}") for i in range(1, 6)]
    mediation = new_dispute(
        personas.grid_worker,
        categories.land,
        grid=world.grid_a1_1,
        parties=[
            *applicants,
            person(PartyRole.RESPONDENT, "某建筑公司", kind=PartyKind.ORGANISATION, credit_code=make_uscc()),
        ],
        title="土地流转租金纠纷",
        people_involved=12,
    )
    case = mediation.case
    case.refresh_from_db()
    assert mediation.risk_level == RiskLevel.HIGH
    assert mediation.risk_reasons == [{"signal": "group", "level": "high", "detail": "申请人一方 5 人"}]
    assert (case.tier, case.region) == (Tier.TOWN, world.town_a)  # escalated from the village at once
    assert case.state == State.REPORTED
    escalation = CaseEvent.objects.get(case=case, action="risk_escalate")
    assert escalation.actor is None and escalation.actor_name == "系统"
    assert (escalation.from_tier, escalation.to_tier) == (Tier.VILLAGE, Tier.TOWN)
    subject = f"高风险矛盾纠纷：{case.number} 土地流转租金纠纷"
    for user in (personas.town_center, personas.town_head, personas.unit_handler):
        assert _inbox(user, "dispute.high_risk") == [subject], user
    for user in (personas.other_town_center, personas.other_unit_handler, personas.grid_worker):
        assert _inbox(user, "dispute.high_risk") == [], user
    assert mediation.alerted_at is not None and mediation.risk_escalated_at is not None

    # A sixth applicant changes nothing more: alerted and escalated once.
    services.party_add(user=personas.town_center, mediation=mediation, data=person(PartyRole.APPLICANT, "村民6"))
    case.refresh_from_db()
    assert case.tier == Tier.TOWN
    assert CaseEvent.objects.filter(case=case, action="risk_escalate").count() == 1
    assert len(_inbox(personas.town_center, "dispute.high_risk")) == 1


def test_threats_in_a_session_record_raise_the_risk_via_the_keyword_list(
    world: Any, personas: Any, categories: Any, roster: Any, clock: Any
) -> None:
    mediation = new_dispute(
        personas.village_center,
        categories.family,
        grid=world.grid_a1_1,
        parties=[person(PartyRole.APPLICANT, "刘女士"), person(PartyRole.RESPONDENT, "陈先生")],
    )
    RiskRule.objects.filter(signal=RiskSignal.KEYWORDS).update(escalate=False)
    services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.elder)
    services.session_record(
        user=personas.village_center,
        mediation=mediation,
        held_at=NOW - dt.timedelta(hours=2),
        place="村委会",
        record="陈先生情绪激动，扬言要和对方同归于尽，刘女士称不想活了。",
    )
    mediation.refresh_from_db()
    assert mediation.risk_level == RiskLevel.HIGH
    assert mediation.risk_reasons == [{"signal": "keywords", "level": "high", "detail": "言语中出现：不想活、同归于尽"}]
    assert _inbox(personas.town_center, "dispute.high_risk") != []
    # Words that only contain a keyword's characters do not fire: "杀猪" is not "杀人".
    plain = new_dispute(
        personas.village_center,
        categories.family,
        grid=world.grid_a1_1,
        facts="年前杀猪分肉时双方因分量发生口角。",
    )
    assert plain.risk_level == RiskLevel.LOW


def test_id_numbers_and_phones_are_encrypted_masked_and_revealed_only_with_an_audit_row(
    world: Any, personas: Any, categories: Any, roster: Any, rf: Any
) -> None:
    number = make_id_with_x("19660708")
    mediation = new_dispute(
        personas.village_center,
        categories.neighbours,
        grid=world.grid_a1_1,
        parties=[
            person(PartyRole.APPLICANT, "周七", id_number=number, phone="13512345678"),
            person(PartyRole.RESPONDENT, "吴八"),
        ],
    )
    party = mediation.parties.get(name="周七")
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(Party._meta.db_table)
        cursor.execute(f"SELECT id_number, phone, id_number_index FROM {table} WHERE id = %s", [party.pk])  # noqa: S608
        raw_id, raw_phone, raw_index = cursor.fetchone()
    assert number not in raw_id and number[:-1] not in raw_id and "13512345678" not in raw_phone
    assert raw_id.startswith("gcm1$") and raw_phone.startswith("gcm1$")
    assert raw_index == services.identity.id_index(number) and number not in raw_index
    assert party.id_number_masked == f"{number[:6]}********{number[-4:]}"
    assert party.phone_masked == "135****5678"

    # The center holding the case reveals, and it is audited; the leader (sees the case) and the
    # town center (above, not handling) may not; the other town cannot even see it.
    request = rf.get("/disputes/x/", HTTP_USER_AGENT="pytest")
    request.user = personas.village_center
    revealed = services.party_reveal(user=personas.village_center, party=party, request=request)
    assert (revealed.id_number, revealed.phone) == (number, "13512345678")
    entry = AuditEntry.objects.get(action="disputes.party.reveal")
    assert (entry.actor, entry.target_id, entry.detail["fields"]) == (
        personas.village_center,
        str(party.pk),
        ["id_number", "phone"],
    )
    assert number not in str(entry.detail)
    for outsider in (personas.leader, personas.town_center, personas.other_town_center, personas.mediator):
        with pytest.raises(PermissionDenied):
            services.party_reveal(user=outsider, party=party)
    assert AuditEntry.objects.filter(action="disputes.party.reveal").count() == 1
    # Once assigned, the mediator may reveal too.
    services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.lead)
    assert services.party_reveal(user=personas.mediator, party=party).id_number == number


def test_bad_party_data_is_refused_with_field_messages_and_nothing_written(
    world: Any, personas: Any, categories: Any
) -> None:
    bad = make_id("19800101", "123")
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    before = (Mediation.objects.count(), CaseEvent.objects.count())
    with pytest.raises(ValidationError) as info:
        new_dispute(
            personas.village_center,
            categories.neighbours,
            grid=world.grid_a1_1,
            parties=[
                person(PartyRole.APPLICANT, "甲", id_number=bad),
                person(PartyRole.RESPONDENT, "", phone="123"),
                person(PartyRole.RESPONDENT, "乙公司", kind=PartyKind.ORGANISATION, credit_code="91420683MA4F0T5L00"),
                person(PartyRole.APPLICANT, "丙", id_number=make_id(seq="124"), sex="male"),
            ],
        )
    assert set(info.value.message_dict) == {
        "parties.0.id_number",
        "parties.1.name",
        "parties.1.phone",
        "parties.2.credit_code",
        "parties.3.sex",
    }
    assert info.value.message_dict["parties.0.id_number"] == ["身份证号码校验码不正确，请核对。"]
    assert (Mediation.objects.count(), CaseEvent.objects.count()) == before


def test_screening_none_found_and_rules_of_the_report(world: Any, personas: Any, categories: Any, clock: Any) -> None:
    with pytest.raises(PermissionDenied):  # the town center schedules for its own region only
        services.screening_round_schedule(
            user=personas.town_center,
            region=world.village_a1,
            title="x",
            period_start=dt.date(2025, 3, 1),
            period_end=dt.date(2025, 3, 31),
            due_date=dt.date(2025, 3, 10),
        )
    round_ = services.screening_round_schedule(
        user=personas.town_center,
        region=world.town_a,
        title="清明节前专项排查",
        kind="special",
        period_start=dt.date(2025, 3, 1),
        period_end=dt.date(2025, 3, 31),
        due_date=dt.date(2025, 3, 10),
    )
    assert round_.reports.count() == 3
    report = round_.reports.get(grid=world.grid_a1_1)
    with pytest.raises(PermissionDenied):
        services.screening_report_submit(
            user=personas.other_village_grid_worker, report=report, screened_on=dt.date(2025, 3, 4), none_found=True
        )
    with pytest.raises(ValidationError):  # neither disputes nor "none found"
        services.screening_report_submit(user=personas.grid_worker, report=report, screened_on=dt.date(2025, 3, 4))
    with pytest.raises(ValidationError):  # in the future
        services.screening_report_submit(
            user=personas.grid_worker, report=report, screened_on=dt.date(2025, 3, 6), none_found=True
        )
    report = services.screening_report_submit(
        user=personas.grid_worker, report=report, screened_on=dt.date(2025, 3, 4), none_found=True
    )
    assert (report.status, report.found_count, report.reported_by) == (
        ScreeningStatus.NONE_FOUND,
        0,
        personas.grid_worker,
    )


def test_one_legal_advisor_per_village(world: Any, personas: Any, roster: Any) -> None:
    with pytest.raises(ValidationError) as info:
        services.mediator_save(
            user=personas.village_center, name="钱律师", kind="legal_advisor", regions=[world.village_a1]
        )
    assert info.value.message_dict["regions"] == ["该村（社区）已有法律顾问：李律师。"]
    with pytest.raises(ValidationError):
        services.mediator_save(user=personas.town_center, name="钱律师", kind="legal_advisor", regions=[world.town_a])
    other = services.mediator_save(
        user=personas.town_center, name="钱律师", kind="legal_advisor", regions=[world.village_a2]
    )
    assert list(other.regions.all()) == [world.village_a2]
    with pytest.raises(ValidationError):  # outside the center's scope
        services.mediator_save(user=personas.village_center, name="x", kind="elder", regions=[world.village_b1])
    with pytest.raises(PermissionDenied):
        services.mediator_save(user=personas.grid_worker, name="x", kind="elder", regions=[world.grid_a1_1])


def test_assignment_is_limited_to_the_center_holding_the_case_and_its_scope(
    world: Any, personas: Any, categories: Any, roster: Any
) -> None:
    mediation = new_dispute(personas.grid_worker, categories.neighbours, grid=world.grid_a1_1)
    with pytest.raises(PermissionDenied):  # the town center does not hold this village case
        services.mediation_assign(user=personas.town_center, mediation=mediation, lead=roster.lead)
    with pytest.raises(ValidationError):  # a mediator of the other town is out of scope
        services.mediation_assign(user=personas.village_center, mediation=mediation, lead=roster.other_town)
    services.mediation_assign(
        user=personas.village_center,
        mediation=mediation,
        lead=roster.elder,
        co_mediators=[roster.elder, roster.advisor],
    )
    assert list(mediation.co_mediators.all()) == [roster.advisor]  # the lead is not also a co-mediator
