"""Per-process caches that are always fresh: what they hold is kept under the data generation tokens of
the tables it came from (``DataGeneration``, redrawn by triggers with every write) and loaded again as
soon as a token differs, whoever wrote (this process, another one, the admin, raw SQL).

Reading the tokens is one plain-SQL query for all of them (the ORM would cost ten times the query).
Inside a request (``GenerationScopeMiddleware``) they are read at most once and remembered for the rest
of the request; any statement that writes a watched table through Django's connection (ORM saves and
deletes, ``update()``, ``bulk_create``, raw SQL) forgets them, so a request sees its own writes; after
such a write, tokens read inside a transaction are not remembered (the transaction may still roll back).
Outside a request (worker, commands, tests calling services) every read asks the database.

A missing token row (a flushed test database) means "do not cache": the loader runs every time.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.http import HttpRequest, HttpResponse

from civicgrid.core.models import DataGeneration

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

#: The region table's token lives in routing's own row (regions migration 0002); read in the same query.
REGIONS = "regions_region"
#: Tables with triggers (core migration 0001), and the regions table.
WATCHED = frozenset(
    {
        "cases_category",
        "cases_casesettings",
        "people_center",
        "people_roleassignment",
        "people_user",
        "notifications_webhookendpoint",
        "authtoken_token",
        REGIONS,
    }
)

_TOKENS_SQL = (
    f"SELECT name, token FROM {DataGeneration._meta.db_table} "  # noqa: S608 (no input)
    f"UNION ALL SELECT '{REGIONS}', token FROM regions_regiongeneration WHERE id = 1"
)


@dataclass
class _Scope:
    memo: dict[str, str] | None = None
    wrote: bool = False  # a watched table was written in this scope (so maybe in an open transaction)


_scope: ContextVar[_Scope | None] = ContextVar("civicgrid_generation_scope", default=None)


def _read() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(_TOKENS_SQL)
        return {str(name): str(token) for name, token in cursor.fetchall()}


def _current() -> dict[str, str]:
    scope = _scope.get()
    if scope is None:
        return _read()
    if scope.memo is None:
        memo = _read()
        if scope.wrote and connection.in_atomic_block:
            return memo  # this request wrote and may still roll back: do not remember
        scope.memo, scope.wrote = memo, False
    return scope.memo


def tokens(tables: tuple[str, ...]) -> tuple[str, ...] | None:
    """The current tokens of ``tables``; None if any row is missing (then callers never cache)."""
    current = _current()
    try:
        return tuple(current[table] for table in tables)
    except KeyError:
        return None


def token(table: str) -> str | None:
    """The current token of one table (None if its row is missing)."""
    return _current().get(table)


def clear() -> None:
    """Forget the tokens remembered in this request scope (the statement wrapper calls it after every write
    to a watched table; call it after writing one outside Django's connection)."""
    scope = _scope.get()
    if scope is not None:
        scope.memo, scope.wrote = None, True


def in_scope() -> bool:
    """True inside a request scope (tokens are read once and remembered)."""
    return _scope.get() is not None


@contextmanager
def scope() -> Iterator[None]:
    """Read the tokens at most once until the block ends (a request; a batch of work that may lag)."""
    reset = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(reset)


class GenerationScopeMiddleware:
    """One generation scope per request: one token query per request, however many caches it reads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with scope():
            return self.get_response(request)


# --- a request sees its own writes ----------------------------------------------------------------

# Statements that may write, and the watched tables' names (``regions_region`` also matches its
# generation table's name: forgetting once too often costs one token query, never a stale answer).
_WRITES = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|WITH|TRUNCATE|REPLACE|MERGE)\b", re.IGNORECASE)
_WATCHED_NAMES = re.compile("|".join(re.escape(table) for table in sorted(WATCHED)))


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Database execute wrapper: inside a request scope, forget the tokens after any statement that may
    write a watched table (ORM saves and deletes, ``update()``, ``bulk_create``, raw SQL alike)."""
    try:
        return execute(sql, params, many, context)
    finally:
        if _scope.get() is not None and _WRITES.match(sql) and _WATCHED_NAMES.search(sql):
            clear()


def _install(connection: Any, **kwargs: Any) -> None:
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def watch_writes() -> None:
    """Install ``_watch`` on every database connection (called from CoreConfig.ready).

    A statement wrapper rather than model signals: it also sees writes that send no signal, and
    receivers of delete signals would cost the watched tables Django's fast deletes."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    connection_created.connect(_install, weak=False, dispatch_uid="civicgrid.generations.watch_writes")
    for alias in connections:
        _install(connections[alias])


# --- caches ----------------------------------------------------------------------------------------

_caches: weakref.WeakSet[GenerationCache[Any] | KeyedGenerationCache[Any, Any]] = weakref.WeakSet()


def reset_all() -> None:
    """Empty every cache of this process (tests)."""
    for cache in list(_caches):
        cache.clear()


def _watched(tables: tuple[str, ...]) -> tuple[str, ...]:
    unknown = set(tables) - WATCHED
    if unknown:
        raise ValueError(f"no generation triggers on {sorted(unknown)}")
    return tuple(tables)


class GenerationCache(Generic[T]):
    """One value, ``loader()``, kept while the tokens of ``tables`` stay the same.

    The tokens are read before the rows: a write landing in between leaves newer rows under an older
    token, which only costs one more load later. Loads run outside any lock (two threads may both
    load once; neither blocks on the other's query); storing the result is one assignment.
    """

    def __init__(self, tables: tuple[str, ...], loader: Callable[[], T]) -> None:
        self.tables = _watched(tables)
        self.loader = loader
        self._entry: tuple[tuple[str, ...], T] | None = None
        _caches.add(self)

    def get(self) -> T:
        key = tokens(self.tables)
        entry = self._entry
        if key is not None and entry is not None and entry[0] == key:
            return entry[1]
        value = self.loader()
        if key is not None:
            self._entry = (key, value)
        return value

    def clear(self) -> None:
        self._entry = None


class KeyedGenerationCache(Generic[K, T]):
    """``loader(key)`` per key, each kept while the tokens of ``tables`` stay the same; at most
    ``maxsize`` keys (entries of older generations go first, then the oldest). A ``None`` result is not
    kept: keys may come from outside (a token header, a category code), misses must not crowd out hits.
    """

    def __init__(self, tables: tuple[str, ...], loader: Callable[[K], T], *, maxsize: int = 1024) -> None:
        self.tables = _watched(tables)
        self.loader = loader
        self.maxsize = maxsize
        self._entries: dict[K, tuple[tuple[str, ...], T]] = {}
        self._lock = threading.Lock()
        _caches.add(self)

    def get(self, key: K) -> T:
        current = tokens(self.tables)
        entry = self._entries.get(key)
        if current is not None and entry is not None and entry[0] == current:
            return entry[1]
        value = self.loader(key)
        if current is not None and value is not None:
            with self._lock:
                if key not in self._entries and len(self._entries) >= self.maxsize:
                    for old in [k for k, (kept, _value) in self._entries.items() if kept != current]:
                        del self._entries[old]
                    while len(self._entries) >= self.maxsize:
                        del self._entries[next(iter(self._entries))]
                self._entries[key] = (current, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
