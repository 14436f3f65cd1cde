"""Case creation in one statement on PostgreSQL (intake is the busiest write path).

``case_create`` writes a day-counter bump, the reporter, the case, its first stage run, the first
timeline row and the center staff's inbox rows (plus any webhook outbox rows). Through the ORM that is
BEGIN, seven statements and COMMIT, each a round trip and an ORM compilation. On PostgreSQL all of it
is one ``WITH … INSERT … RETURNING`` statement: data-modifying CTEs run together and atomically, the
counter row is locked only for that one statement (so intake is not serialised on it), and a failure
anywhere (a duplicate idempotency key, a constraint) leaves nothing behind — not even a drawn number.

The column lists and values come from the models' own field definitions (``pre_save`` and
``get_db_prep_save``), so model changes need no edits here; the rows are the same as the ORM path's
(``cases/tests/test_fastcreate.py`` compares both, field by field). SQLite keeps the ORM path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, models

from civicgrid.cases.models import Case, CaseCounter, CaseEvent, CaseStage, Reporter


def supported() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class _Insert:
    """One ``name AS (…)`` part of the statement and its parameters."""

    sql: str
    params: list[Any] = field(default_factory=list)


def counter_bump_sql() -> str:
    """The day counter's bump (parameters: county code, day), returning the new sequence number: shared
    by this statement and the ORM path's ``services._next_number``."""
    counter = connection.ops.quote_name(CaseCounter._meta.db_table)
    return (
        f"INSERT INTO {counter} (county_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608 -- metadata
        f"ON CONFLICT (county_code, day) DO UPDATE SET last = {counter}.last + 1 RETURNING last"
    )


def number_prefix(county_code: str, day: date) -> str:
    """``<county>-<yyyymmdd>-``: a case number is this and the day's sequence, at least five digits."""
    return f"{county_code}-{day:%Y%m%d}-"


Override = tuple[str, list[Any]]  # an SQL expression and its parameters

_NUMBER = "(SELECT number FROM c)"


def _values(
    obj: models.Model, overrides: dict[str, Override], number_slot: str | None = None
) -> tuple[list[str], list[str], list[Any]]:
    """Columns, value expressions and parameters of ``obj``'s INSERT; ``overrides`` maps an attname to
    an SQL expression (e.g. a reference to another part of the statement) instead of the field's value.
    ``number_slot``: text that stands for the case number in text and JSON values (replaced in SQL)."""
    quote = connection.ops.quote_name
    columns: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    for f in obj._meta.local_concrete_fields:
        if f.attname in overrides:
            columns.append(quote(f.column))
            expression, expression_params = overrides[f.attname]
            values.append(expression)
            params.extend(expression_params)
            continue
        if f.primary_key:
            continue  # drawn by the database
        columns.append(quote(f.column))
        value = f.pre_save(obj, add=True)
        if number_slot is not None and isinstance(f, models.JSONField):
            text = json.dumps(value, cls=f.encoder)
            if number_slot in text:  # a number is digits and hyphens: nothing to escape in JSON
                values.append(f"replace(%s, %s, {_NUMBER})::jsonb")
                params.extend([text, number_slot])
                continue
        elif number_slot is not None and isinstance(value, str) and number_slot in value:
            values.append(f"replace(%s, %s, {_NUMBER})")
            params.extend([value, number_slot])
            continue
        values.append("%s")
        params.append(f.get_db_prep_save(value, connection))
    return columns, values, params


def _insert(
    name: str,
    rows: Sequence[models.Model],
    overrides: dict[str, Override],
    returning: str = "id",
    number_slot: str | None = None,
) -> _Insert:
    columns: list[str] = []
    tuples: list[str] = []
    params: list[Any] = []
    for row in rows:
        columns, values, row_params = _values(row, overrides, number_slot)
        tuples.append(f"({', '.join(values)})")
        params.extend(row_params)
    table = connection.ops.quote_name(rows[0]._meta.db_table)
    sql = (
        f"{name} AS (INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 -- names from model metadata
        f"VALUES {', '.join(tuples)} RETURNING {returning})"
    )
    return _Insert(sql, params)


def _fill_number(row: models.Model, slot: str, number: str) -> None:
    """What the statement did to the stored values, done to the Python object."""
    for f in row._meta.local_concrete_fields:
        value = getattr(row, f.attname)
        if isinstance(f, models.JSONField):
            text = json.dumps(value, cls=f.encoder)
            if slot in text:
                setattr(row, f.attname, json.loads(text.replace(slot, number)))
        elif isinstance(value, str) and slot in value:
            setattr(row, f.attname, value.replace(slot, number))


def _saved(obj: models.Model, pk: int) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def create_case_rows(
    *,
    county_code: str,
    day: date,
    reporter: Reporter | None,
    case: Case,
    stage: CaseStage | None,
    event: CaseEvent,
    others: Sequence[Sequence[models.Model]] = (),
    number_slot: str | None = None,
) -> None:
    """Insert a new case and what belongs to it in one statement; sets the primary keys and the number.

    ``case.number`` is drawn from the day counter of ``county_code`` in the same statement. ``others``:
    further groups of rows of one model each (inbox rows, outbox rows) that only need to be written;
    ``number_slot`` in their text and JSON values stands for the number drawn (replaced in the
    statement, and in the Python objects afterwards; their primary keys are not read back).
    Raises ``IntegrityError`` (nothing written) like the ORM would, e.g. on a duplicate idempotency key.
    """
    case_table = Case._meta.db_table
    pk_column = Case._meta.pk.column  # type: ignore[union-attr]
    parts = [
        _Insert("ids AS (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS id)", [case_table, pk_column]),
        _Insert(f"n AS ({counter_bump_sql()})", [county_code, connection.ops.adapt_datefield_value(day)]),
    ]
    case_id: Override = ("(SELECT id FROM ids)", [])
    # The sequence padded to five digits, as services._next_number formats it.
    number: Override = (
        "%s || (SELECT CASE WHEN last < 100000 THEN lpad(last::text, 5, '0') ELSE last::text END FROM n)",
        [number_prefix(county_code, day)],
    )
    case_overrides = {"id": case_id, "number": number}
    if reporter is not None:
        parts.append(_insert("r", [reporter], {"case_id": case_id}))
        case_overrides["reporter_id"] = ("(SELECT id FROM r)", [])
    parts.append(_insert("c", [case], case_overrides, returning="id, number"))
    if stage is not None:
        parts.append(_insert("s", [stage], {"case_id": case_id}))
    parts.append(_insert("e", [event], {"case_id": case_id}))
    for i, group in enumerate(others):
        if group:
            parts.append(_insert(f"o{i}", group, {}, number_slot=number_slot))
    selects = ["(SELECT id FROM ids)", "(SELECT number FROM c)"]
    selects.append("(SELECT id FROM r)" if reporter is not None else "NULL")
    selects.append("(SELECT id FROM s)" if stage is not None else "NULL")
    selects.append("(SELECT id FROM e)")
    sql = f"WITH {', '.join(p.sql for p in parts)} SELECT {', '.join(selects)}"
    params = [param for part in parts for param in part.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        new_case_id, new_number, reporter_id, stage_id, event_id = cursor.fetchone()
    case.number = new_number
    _saved(case, new_case_id)
    if reporter is not None:
        _saved(reporter, reporter_id)
        reporter.case = case
        case.reporter = reporter
    if stage is not None:
        _saved(stage, stage_id)
        stage.case = case
    _saved(event, event_id)
    event.case = case
    if number_slot is not None:
        for group in others:
            for row in group:
                _fill_number(row, number_slot, new_number)
