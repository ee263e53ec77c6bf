"""Fuzz strategies for every way in: the JSON API, the public and staff pages, the chat socket.

Shared by ``tests/hardening/test_fuzz.py`` (Django's test client and Channels' communicator, a few
hundred cases in the normal suite) and ``bench/fuzz.py`` (a live daphne, 10,000 requests and 10,000
frames). Nothing here talks to a server: the strategies build requests (``Req``) and socket frames
(JSON text) from a ``World`` (the slugs, worker ids, codes and free times that exist), and
``http_problems`` / ``frame_problems`` say what is wrong with an answer.

To fuzz a new endpoint, add a function to ``API_TARGETS`` (or ``PAGE_TARGETS`` / ``STAFF_TARGETS``)
with ``@target(...)``; to fuzz a new socket frame, add its fields to ``FRAME_FIELDS``. Both tests and
the bench pick them up.

What a value may be, on purpose: any datetime from year 1 to 9999 with any offset from -23:59 to
+23:59 (±14:00 and the ends of the range on purpose), naive ones, ISO strings in odd spellings and
plain garbage; any date; any Unicode, lone surrogates included. A lone surrogate cannot be sent as
UTF-8, so it reaches a server only as the JSON escape ``"\\ud800"`` (JSON is always built with
``ensure_ascii=True`` here) or percent-encoded in a URL (``%ED%A0%80``, not valid UTF-8).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

HELSINKI = ZoneInfo("Europe/Helsinki")

# How many cases ran, by kind; printed at the end of the pytest run (tests/hardening/conftest.py) and
# by bench/fuzz.py.
COUNTS: collections.Counter = collections.Counter()
_counts_lock = threading.Lock()


def count(kind: str, n: int = 1) -> None:
    with _counts_lock:
        COUNTS[kind] += n


# --- values ------------------------------------------------------------------------------------------
def _tz(minutes: int, seconds: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(minutes=minutes, seconds=seconds))


EDGE_OFFSET_MINUTES = [0, 1, -1, 60, 120, 180, -300, 14 * 60, -14 * 60, 23 * 60 + 59, -(23 * 60 + 59), 12 * 60 + 45]
OFFSETS = st.one_of(
    st.sampled_from(EDGE_OFFSET_MINUTES).map(_tz),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(_tz),
    st.builds(_tz, st.integers(-(23 * 60 + 58), 23 * 60 + 58), st.integers(1, 59)),  # offsets with seconds
    st.just(dt.UTC),
    st.just(HELSINKI),
)
EDGE_DATETIMES = [
    dt.datetime.min, dt.datetime.max,
    dt.datetime(1, 1, 1, tzinfo=_tz(14 * 60)), dt.datetime(1, 1, 1, tzinfo=_tz(-14 * 60)),
    dt.datetime(1, 1, 1, tzinfo=_tz(23 * 60 + 59)), dt.datetime(1, 1, 1, 0, 30, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59, tzinfo=_tz(-14 * 60)), dt.datetime(9999, 12, 31, 23, 0, tzinfo=_tz(14 * 60)),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_tz(-(23 * 60 + 59))), dt.datetime(9999, 12, 31, 10, tzinfo=HELSINKI),
    dt.datetime(9999, 12, 27, 10, tzinfo=_tz(120)), dt.datetime(1, 1, 1, 10, tzinfo=HELSINKI),
    dt.datetime(2027, 3, 28, 3, 30, tzinfo=HELSINKI),  # the missing hour at the spring switch
    dt.datetime(2027, 10, 31, 3, 30, tzinfo=HELSINKI, fold=1),  # the doubled hour in the autumn
    dt.datetime(1999, 12, 31, 23, 59), dt.datetime(2101, 1, 1),
]
DATETIMES = st.one_of(
    st.sampled_from(EDGE_DATETIMES), st.sampled_from(EDGE_DATETIMES),
    st.datetimes(min_value=dt.datetime.min, max_value=dt.datetime.max, timezones=OFFSETS),
    st.datetimes(min_value=dt.datetime.min, max_value=dt.datetime.max),  # naive
    st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=OFFSETS),  # near now
)
EDGE_DATES = [dt.date.min, dt.date.max, dt.date(1, 1, 7), dt.date(9999, 12, 27), dt.date(9999, 12, 25), dt.date(1999, 12, 31),
              dt.date(2000, 1, 1), dt.date(2100, 12, 31), dt.date(2101, 1, 1)]
DATES = st.one_of(st.sampled_from(EDGE_DATES), st.dates(), st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)))

SURROGATES = st.characters(categories=["Cs"])  # lone surrogates: "\ud800" .. "\udfff"
# Any code point, lone surrogates included (drawn often on purpose: a uniform draw almost never hits one).
TEXT = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.lists(st.one_of(SURROGATES, st.characters(codec=None, exclude_categories=())), min_size=1, max_size=6).map("".join),
    st.sampled_from([
        "", " ", "\x00", "\ud800", "\udfff", "a\udc80b", "\ud83d", "\u202e\u202d", "\ufeff", "e\u0301" * 30, "🧑‍🍼" * 20,
        "<script>alert(1)</script>", "'; DROP TABLE booking_booking; --", "%s%n", "../../etc/passwd", "null", "NaN", "0" * 300,
    ]),
)
TEXT_NO_SURROGATES = TEXT.map(lambda s: "".join(c for c in s if not 0xD800 <= ord(c) <= 0xDFFF))


def _iso_variants(value: dt.datetime | dt.date) -> st.SearchStrategy[str]:
    text = value.isoformat()
    variants = [text, text.replace("+00:00", "Z"), text.replace("T", " "), text.lower(), f" {text} ", text[:16], text[:10]]
    if isinstance(value, dt.datetime):
        variants += [value.isoformat(timespec="minutes"), value.isoformat(timespec="microseconds")]
    return st.sampled_from(variants)


GARBAGE_TIMES = st.sampled_from([
    "", "now", "0000-01-01T00:00:00+00:00", "10000-01-01T00:00:00+00:00", "9999-12-31T24:00:00+00:00", "2026-02-30T10:00:00+02:00",
    "2026-11-23T10:00:00+24:00", "2026-11-23T10:00:00+99:99", "2026-11-23T10:00:00-00:00", "2026-11-23T10:00:00+0200",
    "2026-W48-1T10:00+02:00", "2026-327T10:00+02:00", "20261123T100000+0200", "+002026-11-23", "-0001-01-01", "1e308",
    "2026-11-23T10:00:00.9999999999+02:00", "2026-11-23T10:00:00+02:00\x00", "2026-11-23\ud800", "٢٠٢٦-١١-٢٣", "９９９９-１２-３１",
])
GARBAGE_DATES = st.sampled_from([
    "", "0000-01-01", "10000-01-01", "-1", "2026-02-30", "2026-13-01", "9999-12-32", "2026-W53-7", "2026-366", "20261123",
    "2026/11/23", "23.11.2026", "9999-12-31T23:59", "0001-01-01T00:00+14:00", "１９９９-０１-０１", "2026-11-23\x00",
])
# A time as a client could send it: any datetime in an ISO spelling, or garbage.
TIME_TEXT = st.one_of(DATETIMES.flatmap(_iso_variants), GARBAGE_TIMES, TEXT)
DATE_TEXT = st.one_of(DATES.flatmap(_iso_variants), DATETIMES.map(lambda d: d.isoformat()), GARBAGE_DATES, TEXT)

HUGE = st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30, -1, 0, 1e308, -1e308, 1e-308, float("inf"), float("-inf"), "9" * 5000])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HUGE, TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=8,
)


def wrong_types(strategy=None) -> st.SearchStrategy:
    """A value of any JSON type (for a field that wants a string, mostly the wrong one)."""
    return JSON_VALUES if strategy is None else st.one_of(strategy, JSON_VALUES)


def dumps(value) -> str:
    """JSON as a client sends it: ASCII only, so a lone surrogate travels as the escape "\\ud800"."""
    return json.dumps(value, ensure_ascii=True)


# --- the world the fuzzer knows ------------------------------------------------------------------------
@dataclass
class World:
    """What exists on the server under test; values are mixed with garbage so fuzz cases reach deep."""

    services: list[str]  # slugs
    workers: list[str]  # public ids
    worker_pks: list[int] = field(default_factory=list)
    service_pks: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # codes of existing bookings (lookup, cancel, follow-up)
    free_starts: list[str] = field(default_factory=list)  # starts of free slots, as the API gives them
    booking_ids: list[int] = field(default_factory=list)  # bookings a coordinator may move

    def pick(self, values, garbage: st.SearchStrategy) -> st.SearchStrategy:
        return st.one_of(st.sampled_from(values), garbage) if values else garbage


def seg(value: str) -> str:
    """A URL path segment or query value, percent-encoded; a lone surrogate becomes invalid UTF-8."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query(params: dict[str, st.SearchStrategy]) -> st.SearchStrategy[str]:
    """A query string with any subset of ``params`` (sometimes a parameter twice or empty)."""
    pairs = st.lists(st.sampled_from(sorted(params)).flatmap(lambda k: params[k].map(lambda v: (k, v))), max_size=len(params) + 1)
    return pairs.map(lambda kv: "&".join(f"{seg(k)}={seg(str(v))}" for k, v in kv))


# --- HTTP requests -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Req:
    target: str
    method: str
    path: str  # percent-encoded
    query: str = ""
    body: bytes | None = None
    content_type: str = "application/json"
    headers: tuple = ()  # extra (name, value) pairs

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def short(self, limit: int = 300) -> str:
        body = "" if self.body is None else " " + self.body[:limit].decode("utf-8", "backslashreplace")
        return f"{self.method} {self.url[:limit]}{body}"


Target = Callable[[World], st.SearchStrategy[Req]]
API_TARGETS: dict[str, Target] = {}
PAGE_TARGETS: dict[str, Target] = {}
STAFF_TARGETS: dict[str, Target] = {}


def target(registry: dict[str, Target], name: str):
    def register(fn: Target) -> Target:
        registry[name] = fn
        return fn

    return register


def json_body(fields: dict[str, st.SearchStrategy], *, garbage_bodies: bool = True) -> st.SearchStrategy[bytes]:
    """A JSON object with any subset of ``fields`` (and stray keys), or, sometimes, no object at all."""
    objects = st.fixed_dictionaries({}, optional={**fields, "extra": JSON_VALUES}).map(lambda d: dumps(d).encode())
    if not garbage_bodies:
        return objects
    return st.one_of(
        objects, objects,
        JSON_VALUES.map(lambda v: dumps(v).encode()),
        st.binary(max_size=64),
        TEXT_NO_SURROGATES.map(lambda s: s.encode()),
        st.just(b'{"start": "' + b"9" * 20_000 + b'"}'),  # over the 16 KiB limit
    )


def _slug(world: World) -> st.SearchStrategy[str]:
    return world.pick(world.services, TEXT)


@target(API_TARGETS, "services")
def _api_services(world: World):
    return query({"lang": TEXT, "x": TEXT}).map(lambda q: Req("services", "GET", "/api/v1/services/", q))


@target(API_TARGETS, "slots")
def _api_slots(world: World):
    params = {"from": DATE_TEXT, "to": DATE_TEXT, "worker": world.pick(world.workers, TEXT)}
    return st.builds(
        lambda slug, q: Req("slots", "GET", f"/api/v1/services/{seg(slug)}/slots/", q),
        world.pick(world.services, TEXT.filter(bool)), query(params),
    )


def booking_fields(world: World) -> dict[str, st.SearchStrategy]:
    return {
        "service": wrong_types(world.pick(world.services, TEXT)),
        "start": wrong_types(world.pick(world.free_starts, TIME_TEXT)),
        "worker": wrong_types(world.pick(world.workers, TEXT)),
        "nickname": wrong_types(st.sampled_from(["Kaisa", "Väsynyt äiti"]) | TEXT),
        "topic": wrong_types(TEXT),
        "reminder_email": wrong_types(st.sampled_from(["a@example.org", "ä@ä.fi", "x@\ud800.fi"]) | TEXT),
        "follow_up_of": wrong_types(world.pick(world.codes, TEXT)),
    }


@target(API_TARGETS, "bookings_create")
def _api_create(world: World):
    fields = booking_fields(world)
    # Most cases are a well-formed booking with one or two odd fields, so that they reach the service.
    sane = st.fixed_dictionaries(
        {"service": world.pick(world.services, st.just("x")), "nickname": st.just("Kaisa"),
         "start": st.one_of(world.pick(world.free_starts, TIME_TEXT), TIME_TEXT)},
        optional={k: v for k, v in fields.items() if k not in ("service", "nickname", "start")},
    ).map(lambda d: dumps(d).encode())
    # Header values as HTTP can carry them (visible ASCII and Latin-1; no control characters).
    header_values = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=300).map(str.strip)
    headers = st.one_of(st.just(()), header_values.map(lambda k: (("Idempotency-Key", k),)))
    return st.builds(lambda body, h: Req("bookings_create", "POST", "/api/v1/bookings/", body=body, headers=h),
                     st.one_of(sane, sane, json_body(fields)), headers)


def _code_body(world: World):
    return json_body({"code": wrong_types(world.pick(world.codes, TEXT))})


@target(API_TARGETS, "bookings_lookup")
def _api_lookup(world: World):
    return _code_body(world).map(lambda b: Req("bookings_lookup", "POST", "/api/v1/bookings/lookup", body=b))


@target(API_TARGETS, "bookings_cancel")
def _api_cancel(world: World):
    return _code_body(world).map(lambda b: Req("bookings_cancel", "POST", "/api/v1/bookings/cancel", body=b))


@target(API_TARGETS, "status")
def _api_status(world: World):
    return query({"lang": st.sampled_from(["fi", "sv", "en", "de"]) | TEXT}).map(lambda q: Req("status", "GET", "/api/v1/status/", q))


API_PATHS = ["/api/v1/services/", "/api/v1/services/{slug}/slots/", "/api/v1/bookings/", "/api/v1/bookings/lookup",
             "/api/v1/bookings/cancel", "/api/v1/status/"]


@target(API_TARGETS, "wrong_method")
def _api_wrong_method(world: World):
    """Every API path with every method: the ones it does not take must answer 405 in JSON."""
    slug = world.services[0] if world.services else "x"
    return st.builds(
        lambda path, method, body: Req("wrong_method", method, path.format(slug=slug), body=body),
        st.sampled_from(API_PATHS), st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
        st.one_of(st.none(), st.just(b"{}")),
    )


@target(API_TARGETS, "not_found")
def _api_not_found(world: World):
    """Paths under /api/ that do not exist: 404 in JSON, as the API documents."""
    return st.builds(
        lambda prefix, tail, method: Req("not_found", method, prefix + seg(tail)),
        st.sampled_from(["/api/", "/api/v1/", "/api/v2/", "/api/v1/services/", "/api/v1/bookings/"]),
        TEXT, st.sampled_from(["GET", "POST"]),
    )


# Public pages.
def _week_query(world: World):
    return query({"week": DATE_TEXT, "worker": world.pick(world.workers, TEXT), "start": TIME_TEXT})


@target(PAGE_TARGETS, "week")
def _page_week(world: World):
    return st.builds(lambda slug, q: Req("week", "GET", f"/book/{seg(slug)}/", q), world.pick(world.services, TEXT.filter(bool)), _week_query(world))


@target(PAGE_TARGETS, "confirm")
def _page_confirm(world: World):
    q = query({"start": st.one_of(world.pick(world.free_starts, TIME_TEXT), TIME_TEXT), "worker": world.pick(world.workers, TEXT)})
    return st.builds(lambda slug, q: Req("confirm", "GET", f"/book/{seg(slug)}/confirm/", q), _slug(world), q)


def form(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[bytes]:
    return query(fields).map(str.encode)


FORM = "application/x-www-form-urlencoded"


@target(PAGE_TARGETS, "confirm_post")
def _page_confirm_post(world: World):
    fields = {"start": world.pick(world.free_starts, TIME_TEXT), "worker": world.pick(world.workers, TEXT), "nickname": TEXT,
              "topic": TEXT, "privacy": st.sampled_from(["on", ""]) | TEXT, "reminder_email": TEXT, "idempotency_key": TEXT}
    return st.builds(lambda slug, body: Req("confirm_post", "POST", f"/book/{seg(slug)}/confirm/", body=body, content_type=FORM),
                     world.pick(world.services, TEXT.filter(bool)), form(fields))


# Staff pages (as a worker and as a coordinator).
@target(STAFF_TARGETS, "calendar")
def _staff_calendar(world: World):
    q = query({"week": DATE_TEXT, "view": st.sampled_from(["day", "week"]) | TEXT, "date": DATE_TEXT})
    paths = st.one_of(st.just("/staff/calendar/"), world.pick(world.worker_pks, st.integers(0, 2**63)).map(lambda pk: f"/staff/calendar/{pk}/"))
    return st.builds(lambda p, q: Req("calendar", "GET", p, q), paths, q)


@target(STAFF_TARGETS, "team")
def _staff_team(world: World):
    q = query({"date": DATE_TEXT, "view": st.sampled_from(["day", "week"]) | TEXT})
    return q.map(lambda q: Req("team", "GET", "/staff/team/", q))


@target(STAFF_TARGETS, "hand_over_day")
def _staff_hand_over_day(world: World):
    return st.builds(
        lambda pk, day, method: Req("hand_over_day", method, f"/staff/team/hand-over/{pk}/{seg(day)}/",
                                    body=b"message=x" if method == "POST" else None, content_type=FORM),
        world.pick(world.worker_pks, st.integers(0, 2**63)), DATE_TEXT.filter(lambda s: s.strip("./")), st.sampled_from(["GET", "POST"]),
    )


def _report_query():
    return query({"start": DATE_TEXT, "end": DATE_TEXT, "service": st.integers() | TEXT, "hide_small": st.sampled_from(["on", ""]) | TEXT})


@target(STAFF_TARGETS, "report")
def _staff_report(world: World):
    return _report_query().map(lambda q: Req("report", "GET", "/staff/reports/", q))


@target(STAFF_TARGETS, "report_csv")
def _staff_report_csv(world: World):
    return _report_query().map(lambda q: Req("report_csv", "GET", "/staff/reports/tilastot.csv", q))


@target(STAFF_TARGETS, "saved_replies")
def _staff_saved_replies(world: World):
    fields = {"delete": st.sampled_from(["abc", "-1", "0", "1.5", str(2**63), "1e3", " 1"]) | st.integers().map(str) | TEXT,
              "title": TEXT, "text": TEXT, "shared": st.sampled_from(["on", ""])}
    return form(fields).map(lambda b: Req("saved_replies", "POST", "/staff/saved-replies/", body=b, content_type=FORM))


@target(STAFF_TARGETS, "availability")
def _staff_availability(world: World):
    """Blocking one slot (the calendar's button) and adding time off, with odd times."""
    kinds = st.sampled_from(["block_slot", "block_slot", "time_off", "delete_time_off", "delete_rule", "availability"]) | TEXT
    fields = {
        "start": TIME_TEXT, "service": world.pick([str(pk) for pk in world.service_pks], TEXT),
        "t-start": TIME_TEXT, "t-end": TIME_TEXT, "t-reason": TEXT, "a-service": TEXT, "a-weekday": TEXT,
        "a-start_time": TEXT, "a-end_time": TEXT, "exception": TEXT, "rule": TEXT,
        "decision": st.sampled_from(["keep", "cancel"]) | TEXT, "message": TEXT,
    }
    body = st.builds(lambda kind, rest: f"form={seg(kind)}&{rest}".encode(), kinds, query(fields))
    paths = st.one_of(st.just("/staff/availability/"), world.pick(world.worker_pks, st.integers(0, 2**63)).map(lambda pk: f"/staff/availability/{pk}/"))
    return st.builds(lambda p, b: Req("availability", "POST", p, body=b, content_type=FORM), paths, body)


@target(STAFF_TARGETS, "booking_manage")
def _staff_booking_manage(world: World):
    fields = {"m-start": TIME_TEXT, "m-message": TEXT, "h-worker": world.pick([str(pk) for pk in world.worker_pks], TEXT),
              "h-message": TEXT, "c-message": TEXT}
    body = st.builds(lambda a, rest: f"action={seg(a)}&{rest}".encode(), st.sampled_from(["move", "hand_over", "cancel"]) | TEXT, query(fields))
    return st.builds(lambda pk, b: Req("booking_manage", "POST", f"/staff/booking/{pk}/", body=b, content_type=FORM),
                     world.pick(world.booking_ids, st.integers(0, 2**63)), body)


def known_requests(world: World) -> dict[str, list[Req]]:
    """The odd inputs that were seen to fail (issue 10, findings 8 and 13), tried first every run."""
    slug = world.services[0] if world.services else "x"
    worker_pk = world.worker_pks[0] if world.worker_pks else 1
    service_pk = world.service_pks[0] if world.service_pks else 1
    naive = (world.free_starts[0] if world.free_starts else "2026-12-01T10:00:00+02:00")[:16]  # a free time, without its offset
    ends = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:00-14:00", "9999-12-31T10:00:00+02:00"]

    def create(start):
        return Req("bookings_create", "POST", "/api/v1/bookings/", body=dumps({"service": slug, "nickname": "Kaisa", "start": start}).encode())

    return {
        "bookings_create": [create(start) for start in ends],
        "slots": [Req("slots", "GET", f"/api/v1/services/{slug}/slots/", q) for q in ("from=9999-12-31&to=9999-12-31", "from=0001-01-01")]
        + [Req("slots", "GET", "/api/v1/services/nope/slots/"), Req("slots", "GET", f"/api/v1/services/{slug}/slots/", "worker=%00")],
        "wrong_method": [Req("wrong_method", "POST", "/api/v1/services/"), Req("wrong_method", "GET", "/api/v1/bookings/")],
        "not_found": [Req("not_found", "GET", "/api/v1/nope")],
        "week": [Req("week", "GET", f"/book/{slug}/", f"week={d}") for d in ("9999-12-31", "0001-01-01")],
        "confirm": [Req("confirm", "GET", f"/book/{slug}/confirm/", f"start={seg(s)}") for s in ends],
        "calendar": [Req("calendar", "GET", "/staff/calendar/", q) for q in ("week=0001-01-01", "week=9999-12-31", "view=day&date=9999-12-31")],
        "team": [Req("team", "GET", "/staff/team/", q) for q in ("date=9999-12-31", "view=week&date=9999-12-31", "date=0001-01-01")],
        "hand_over_day": [Req("hand_over_day", "GET", f"/staff/team/hand-over/{worker_pk}/{d}/") for d in ("9999-12-31", "0001-01-01")],
        "report": [Req("report", "GET", "/staff/reports/", "start=0001-01-01&end=9999-12-31")],
        "report_csv": [Req("report_csv", "GET", "/staff/reports/tilastot.csv", "start=0001-01-01&end=9999-12-31")],
        "saved_replies": [Req("saved_replies", "POST", "/staff/saved-replies/", body=b"delete=abc", content_type=FORM)],
        "availability": [Req("availability", "POST", "/staff/availability/", content_type=FORM,
                             body=f"form=block_slot&start={seg(naive)}&service={service_pk}".encode())],
    }


def known_frames() -> dict[str, list[str]]:
    """Socket frames that were seen to close the socket with 1011 (issue 10, finding 8), by role."""
    surrogate = dumps({"type": "message", "text": "Hei", "client_id": "\ud800"})
    return {
        "parent": [surrogate, dumps({"type": "followup_book", "start": "9999-12-31T23:00:00+02:00"}),
                   dumps({"type": "followup_book", "start": "0001-01-01T00:00:00+14:00"})],
        "worker": [surrogate, dumps({"type": "sync", "client_id": "\ud800"})],
        "nobody": [dumps({"type": "join", "code": "x", "client_id": "\ud800"}), dumps({"type": "nope", "client_id": "\ud800"})],
    }


def http_problems(req: Req, status: int, content_type: str) -> list[str]:
    """What is wrong with an answer: a 5xx anywhere; a body that is not JSON under /api/."""
    problems = []
    if status >= 500 or status == 0:
        problems.append(f"HTTP {status}")
    has_body = req.method != "HEAD" and status not in (204, 304)
    if req.path.startswith("/api/") and has_body and not (content_type or "").startswith("application/json"):
        problems.append(f"HTTP {status} answered with {content_type or 'no content type'!s}, not JSON")
    return problems


# --- socket frames ---------------------------------------------------------------------------------------
NON_NEGATIVE_IDS = st.one_of(st.integers(0, 10**6), st.sampled_from([0, 2**31, 2**63, 10**30]))
AFTER = st.one_of(st.none(), NON_NEGATIVE_IDS, st.integers(), HUGE, st.booleans(), TEXT, st.floats())


def frame_fields(world: World, *, booking_ids: list[int] | None = None) -> dict[str, dict[str, st.SearchStrategy]]:
    """The fields each frame type may carry: valid values mixed with every wrong kind."""
    ids = booking_ids or world.booking_ids
    return {
        "join": {"code": wrong_types(world.pick(world.codes, TEXT)), "after": AFTER, "echo": wrong_types(st.booleans()),
                 "booking": wrong_types(world.pick(ids, NON_NEGATIVE_IDS))},
        "message": {"text": wrong_types(st.sampled_from(["Hei", "x" * 2001, "x" * 20_000]) | TEXT),
                    "client_id": wrong_types(st.sampled_from(["c1", "\ud800", "a" * 65, "a" * 64]) | TEXT)},
        "typing": {"typing": JSON_VALUES},
        "end": {"flag": wrong_types(st.booleans())},
        "followup_slots": {"days": JSON_VALUES},
        "followup_book": {"start": st.one_of(TIME_TEXT, wrong_types(world.pick(world.free_starts, TIME_TEXT))), "nickname": wrong_types(TEXT)},
        "sync": {"after": AFTER},
        "ping": {},
    }


def frames(world: World, *, booking_ids: list[int] | None = None) -> st.SearchStrategy[str]:
    """One client frame as JSON text (every type, random fields, a stray ``client_id``), or garbage."""
    typed = [
        st.fixed_dictionaries({"type": st.just(kind)}, optional={**fields, "client_id": wrong_types(TEXT), "x": JSON_VALUES}).map(dumps)
        for kind, fields in frame_fields(world, booking_ids=booking_ids).items()
    ]
    return st.one_of(
        *typed, *typed,
        TEXT_NO_SURROGATES,  # not JSON (and never a lone surrogate: a real socket carries only UTF-8)
        JSON_VALUES.map(dumps),  # JSON, but not an object with a type
        st.fixed_dictionaries({"type": wrong_types(TEXT)}, optional={"client_id": TEXT}).map(dumps),
        st.just(dumps({"type": "message", "text": "x" * 20_000})),  # over the 16 KiB frame limit
    )


# What daphne sends and takes at most in one WebSocket message in production (Procfile.prod,
# deploy/systemd: --websocket-max-message-size 65536). A bigger frame from the server is refused by
# autobahn and the socket is closed with 1011.
MAX_SERVER_FRAME_BYTES = 65536


def frame_type(text: str) -> str | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame.get("type") if isinstance(frame, dict) and isinstance(frame.get("type"), str) else None


def needs_answer(text: str) -> bool:
    """Every frame is answered, except a typing notice (a joined sender's typing gets no answer)."""
    return frame_type(text) != "typing"


def expected_pongs(text: str) -> int:
    """Pongs to wait for after sending ``text`` and then a ping: two if ``text`` is itself a ping."""
    return 2 if frame_type(text) == "ping" and len(text.encode("utf-8", "surrogatepass")) <= 16 * 1024 else 1


def frame_problems(answers: list[dict]) -> list[str]:
    """What is wrong with the frames sent back: only documented frame types, errors with a code."""
    known = {"joined", "history", "waiting", "opened", "message", "ack", "typing", "presence", "ended", "followup_slots",
             "followup_booked", "followup", "error", "pong"}
    problems = []
    for a in answers:
        if not isinstance(a, dict) or a.get("type") not in known:
            problems.append(f"unknown answer {a!r:.200}")
        elif a["type"] == "error" and not (isinstance(a.get("code"), str) and isinstance(a.get("message"), str)):
            problems.append(f"error frame without code/message {a!r:.200}")
        elif a["type"] == "error" and a["code"] == "server_error":
            problems.append("a server_error frame (a fault on the server's side: the socket's 5xx)")
    return problems


# --- drawing many cases outside a test (bench/fuzz.py) ------------------------------------------------------
def draw_many(strategy: st.SearchStrategy, n: int, *, seed: int = 0) -> list:
    """``n`` values of ``strategy``, drawn by Hypothesis' own engine (not ``.example()``)."""
    from hypothesis import HealthCheck, Phase, given, seed as hseed, settings

    out: list = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out
