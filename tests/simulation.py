"""A simulated council year (issue 9 item 8): months of dipaudit use on the injected
clock, through the same core services the CLI calls, with the scheduler ticking at
random intervals, and the rules checked after every tick (``sim_invariants``).

The council: five teams (the demo's), twelve social workers and two supervising
managers in each, two Heads of Service, five QA auditors (one of them an admin, who
draws the samples), two PDT members, an admin, two SMT members and two directors;
about 22 children per worker, in families, with the demo's cohort mix. The case
management system's extracts are files the admin imports exactly as a council
would: the people directory and the caseload each month (episodes end, new
children arrive, unborn babies are born), the case notes every Monday (including
the QA Audit notes the auditors pasted into the record).

A week: the admin's imports early on Monday; on the first working day the lead
auditor draws one child per worker (``draw_sample``, auditors round-robin); each
auditor starts, fills and submits their audits through the working days
(``start_audit``, ``fill_audit``, ``submit_audit``). Workers and managers comment
and raise queries in the 72-hour window (some try after it closes and are refused);
auditors resolve queries, some after the deadline, and then finalise those audits
themselves. About one audit in ten has an escalation of risk of significant harm
(phoned and reached, phoned without an answer, emailed, or straight to the Head of
Service); managers answer some in time and some late, and leave the rest to go
overdue and be referred; Heads of Service answer most referrals; auditors close
escalations from their tracker (``list_escalations``). The PDT works the actions
list twice a day (``list_actions``, ``review_action``): completed, not completed
with a new due date (reviewed again then), no longer needed, a few left unreviewed.
People work in working hours, London time (weekends and England bank holidays off),
mostly. The clock carries fractions of a second, as the system clock does.

The scheduler (``notify.scheduler.run_scheduler``, the one tick path) runs every 1 to
90 minutes, with a few outages lasting days, and now and then twice at the same
instant; it delivers (to a local SMTP server) only in a window a test asks for.

``Simulation(store, plan).run()`` returns a ``Result``: the invariants' figures and
what happened. ``bench/simulate_year.py`` prints it for a year; ``tests/test_simulated_month.py``
runs a month in the suite.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import random
import time as timer
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sim_invariants import Figure, Invariants

from core import escalation
from core.actions import list_actions, review_action, suggest_new_due
from core.audit import (
    fill_audit,
    finalise_audit,
    get_audit,
    needs_manual_finalise,
    start_audit,
    submit_audit,
)
from core.clock import LONDON, FixedClock, as_utc, from_iso, local, today
from core.comments import add_comment, resolve_comment
from core.config import Settings
from core.context import Context
from core.demo import (
    ACTIONS,
    CASELOAD_COLUMNS,
    CHILD_FIRST,
    COHORT_MIX,
    FAMILY_SIZES,
    HEADS_OF_SERVICE,
    JUDGEMENTS,
    MANAGERS,
    NOTE_COLUMNS,
    PEOPLE_COLUMNS,
    POSITIVE,
    SURNAME_HEAD,
    SURNAME_TAIL,
    TEAMS,
    WORKER_FIRST,
    WORKER_SURNAME,
    note_type_names,
)
from core.errors import DipauditError, StateError
from core.importers import import_caseload, import_notes, import_people
from core.queue import list_queue
from core.reports import send_report
from core.sampling import draw_sample
from core.store import Store
from core.workdays import bank_holiday, is_working_day, suggest_due
from notify.scheduler import run_scheduler

OS_LOGIN = "dipaudit-sim"
# Monday 16 March 2020, 07:00 London: the clocks go forward on 29 March, Easter is 10-13
# April, so a month holds a clock change and two bank holidays; a year holds both changes
# and every England bank holiday of 2020 (8 May was moved for VE Day; 28 December stands
# in for Boxing Day).
START = as_utc(datetime(2020, 3, 16, 7, 0, tzinfo=LONDON))
DAY_START, DAY_END = time(9, 0), time(17, 30)
AUDITORS = ["qa.alex", "qa.bea", "qa.cas", "qa.dee", "qa.eli"]
LEAD_AUDITOR = "qa.cas"  # auditor and admin: draws each week's sample
ADMIN = "admin.robin"
PDT = ["pdt.dot", "pdt.ezra"]
SECOND_MANAGERS = {  # a second supervising manager in each team
    "Assessment North": ("mgr.quentin", "Quentin Lamplighter"),
    "Child Protection South": ("mgr.ursula", "Ursula Pinecombe"),
    "Family Support East": ("mgr.vernon", "Vernon Teasdale"),
    "Children in Care": ("mgr.winifred", "Winifred Hollyhock"),
    "Leaving Care": ("mgr.xander", "Xander Bellweather"),
}
STAFF = [(login, login.split(".")[1].title() + " Simwell", ("auditor", "admin") if login == LEAD_AUDITOR
          else ("auditor",)) for login in AUDITORS] + [
    ("pdt.dot", "Dot Mentorwell", ("pdt",)), ("pdt.ezra", "Ezra Coachworth", ("pdt",)),
    (ADMIN, "Robin Keyholder", ("admin",)),
    ("smt.hal", "Hal Overbridge", ("smt",)), ("smt.ines", "Ines Highfield", ("smt",)),
    ("dir.jo", "Jo Greatorex", ("director",)), ("dir.kay", "Kay Corbelstone", ("director",)),
]


@dataclass
class Plan:
    """How much council, for how long, and the shares of what people do."""

    months: int = 1
    seed: int = 1
    start: datetime = START
    workers_per_team: int = 12
    children_per_worker: int = 22
    outages_per_year: int = 4
    outage_days: tuple[float, float] = (1.0, 4.5)
    tick_minutes: tuple[float, float] = (1.0, 90.0)
    double_tick: float = 0.01  # a second run at the same instant (cron and an open TUI)
    tick_on_deadline: float = 0.15  # a tick aimed at a deadline, or a fraction of a second after it
    resolve_on_deadline: float = 0.08  # a query resolved within a second of the deadline
    out_of_hours: float = 0.04  # share of people's actions done outside working hours
    abandon: float = 0.01  # drafts never finished
    escalate_draft: float = 0.03
    escalate_submitted: float = 0.07
    comment: float = 0.25
    manager_comment: float = 0.10
    query: float = 0.12
    second_query: float = 0.15
    query_late: float = 0.35  # resolved after the deadline: the auditor finalises
    monthly_churn: float = 0.035  # episodes ending and new children arriving, each month
    deliver: tuple[datetime, datetime] | None = None  # ticks in [from, to) deliver the outbox


@dataclass
class Result:
    figures: list[Figure]
    audits_by_status: dict[str, int]
    escalations: dict[str, int]
    stats: Counter
    refusals: Counter
    ticks: int
    longest_outage: timedelta
    span: tuple[datetime, datetime]
    seconds: float
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.figures)

    def failed(self) -> list[Figure]:
        return [f for f in self.figures if not f.ok]


def add_months(at: datetime, months: int) -> datetime:
    """The same London wall time ``months`` calendar months on (the day clamped to 28)."""
    here = local(at)
    y, m = divmod(here.month - 1 + months, 12)
    return as_utc(here.replace(year=here.year + y, month=m + 1, day=min(here.day, 28), tzinfo=None)
                  .replace(tzinfo=LONDON))


def london(d: date, hh: int = 0, mm: int = 0) -> datetime:
    return as_utc(datetime(d.year, d.month, d.day, hh, mm, tzinfo=LONDON))


# --- the council, as the files its systems export ----------------------------------
class Council:
    """People and caseload as the case management system holds them; it changes month
    by month (``evolve``) and writes the extracts an admin imports."""

    def __init__(self, rng: random.Random, plan: Plan, on: date, settings: Settings):
        self.rng = rng
        self.names = note_type_names(settings)
        self.people: list[dict] = []
        self.workers: dict[str, list[dict]] = {}
        self.children: dict[str, dict] = {}
        self.covid_noted: set[str] = set()
        self._child_no = itertools.count(1)
        self._family_no = itertools.count(1)
        self._people(plan)
        self.manager_of = {p["login"]: p["manager"] for p in self.people}
        self.login_of = {p["name"]: p["login"] for p in self.people}
        for team, workers in self.workers.items():
            for w in workers:
                before = len(self.children)
                while len(self.children) - before < plan.children_per_worker:
                    self._family(team, w["name"], on)

    def _people(self, plan: Plan) -> None:
        hos_of = {team: login for login, (_n, teams) in HEADS_OF_SERVICE.items() for team in teams}

        def person(login, name, roles, team="", manager="", hos=""):
            self.people.append({"login": login, "name": name, "roles": ";".join(roles), "team": team,
                                "email": f"{login}@example.org", "teams": "", "manager": manager,
                                "head_of_service": hos})

        for login, (name, _teams) in HEADS_OF_SERVICE.items():
            person(login, name, ["head_of_service"])
        pairs = [f"{f} {s}" for f, s in itertools.product(WORKER_FIRST, WORKER_SURNAME)]
        random.Random(7).shuffle(pairs)
        names = iter(pairs)
        for team in TEAMS:
            managers = [MANAGERS[team], SECOND_MANAGERS[team]]
            for login, name in managers:
                person(login, name, ["manager"], team, hos_of[team], hos_of[team])
            self.workers[team] = []
            for i in range(plan.workers_per_team):
                name = next(names)
                person(name.replace(" ", ".").lower(), name, ["worker"], team, managers[i % 2][0], hos_of[team])
                self.workers[team].append(self.people[-1])
        for login, name, roles in STAFF:
            person(login, name, roles)

    def _family(self, team: str, worker: str, on: date) -> None:
        held = TEAMS[team]
        cohort = self.rng.choices(held, weights=[COHORT_MIX[c] for c in held])[0]
        size = 1 if cohort == "care_leaver" else self.rng.choices(list(FAMILY_SIZES),
                                                                   weights=list(FAMILY_SIZES.values()))[0]
        family = f"SIMFAM{next(self._family_no):05d}" if size > 1 else ""
        surname = self.rng.choice(SURNAME_HEAD) + self.rng.choice(SURNAME_TAIL)
        for k, first in enumerate(self.rng.sample(CHILD_FIRST, size)):
            own = cohort if k == 0 or cohort != "unborn" else "cp"
            dob, edd = "", ""
            if own == "unborn":
                edd = (on + timedelta(days=self.rng.randint(14, 160))).isoformat()
            else:
                lo, hi = {"care_leaver": (18, 21), "cla": (1, 17), "cp": (0.3, 16), "cin": (0.5, 17)}[own]
                dob = (on - timedelta(days=self.rng.randint(int(lo * 365), int(hi * 365)))).isoformat()
            cid = f"SIM{next(self._child_no):05d}"
            self.children[cid] = {
                "child_id": cid, "name": f"Unborn {surname}" if own == "unborn" else f"{first} {surname}",
                "date_of_birth": dob, "expected_date_of_birth": edd, "cohort": own, "worker": worker,
                "team": team, "family_id": family, "closed_on": ""}

    def is_open(self, child: dict) -> bool:
        return not child["closed_on"]

    def evolve(self, on: date, churn: float) -> None:
        """A month on: some episodes end, as many new children arrive (with the workers
        whose cases closed), unborn babies due by now are born."""
        open_ = [c for c in self.children.values() if self.is_open(c)]
        for child in self.rng.sample(open_, int(len(open_) * churn)):
            child["closed_on"] = (on - timedelta(days=self.rng.randint(1, 27))).isoformat()
            team = child["team"]
            self._family(team, child["worker"], on)
        for child in open_:
            if child["cohort"] == "unborn" and child["expected_date_of_birth"] < on.isoformat():
                child.update(cohort="cp", date_of_birth=child["expected_date_of_birth"],
                             expected_date_of_birth="", name=child["name"].replace("Unborn", "Baby"))

    def caseload(self, on: date) -> list[dict]:
        """The extract: open cases and those closed in the last six months."""
        since = (on - timedelta(days=180)).isoformat()
        return [{k: c[k] for k in CASELOAD_COLUMNS} for c in self.children.values()
                if not c["closed_on"] or c["closed_on"] >= since]

    def notes(self, lo: date, hi: date, qa: list[tuple[str, str, str]]) -> list[dict]:
        """Case notes dated in [lo, hi) for the open cases, and the QA Audit notes (child,
        date, auditor) the auditors pasted into the record."""
        rows: dict[tuple, dict] = {}

        def add(child, day, kind, author, summary=""):
            if lo <= day < hi:
                row = {"child_id": child, "date": day.isoformat(), "type": self.names.get(kind, kind),
                       "author": author, "summary": summary}
                rows[(child, row["date"], row["type"])] = row

        days = (hi - lo).days
        for c in self.children.values():
            if not self.is_open(c):
                continue
            worker = self.login_of.get(c["worker"], "")
            manager = self.manager_of.get(worker, "")
            for _ in range(days // 7 or 1):
                day = lo + timedelta(days=self.rng.randrange(max(days, 1)))
                if c["child_id"] not in self.covid_noted and self.rng.random() < 0.25:
                    self.covid_noted.add(c["child_id"])
                    add(c["child_id"], day, "covid", worker, "COVID-19 risk assessment and contact plan.")
                roll = self.rng.random()
                if roll < 0.55:
                    add(c["child_id"], day, "virtual_contact", worker, "Video call; seen alone on screen.")
                elif roll < 0.70:
                    add(c["child_id"], day, "communication", worker, "Spoke by video call.")
                if self.rng.random() < 0.27:
                    add(c["child_id"], lo + timedelta(days=self.rng.randrange(max(days, 1))),
                        "management_oversight", manager, "Oversight: risk, partners and contact level.")
                if self.rng.random() < 0.5:
                    add(c["child_id"], day, "Home visit", worker, "Home visit recorded.")
        for child, day, auditor in qa:
            add(child, date.fromisoformat(day), "qa_audit", auditor, "QA Audit case note.")
        return sorted(rows.values(), key=lambda r: (r["date"], r["child_id"], r["type"]))


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- the simulation ----------------------------------------------------------------
class Simulation:
    """A council's months on ``store``: ``run()`` plays them and returns the ``Result``."""

    def __init__(self, store: Store, plan: Plan, *, workdir: Path, settings: Settings | None = None):
        self.plan = plan
        self.settings = settings or Settings()
        self.clock = FixedClock(plan.start)
        self.workdir = Path(workdir)
        self.rng = random.Random(plan.seed)
        self.ctx = Context(store=store, clock=self.clock, settings=self.settings, user="system",
                           os_login=OS_LOGIN)
        self._as: dict[str, Context] = {}
        self.checks = Invariants(self.ctx)
        self.end = add_months(plan.start, plan.months)
        self.council = Council(random.Random(plan.seed * 7919 + 1), plan, today(self.clock), self.settings)
        self.agenda: list = []
        self._seq = itertools.count()
        self.stats: Counter = Counter()
        self.refusals: Counter = Counter()
        self.examples: dict[str, str] = {}
        self.qa_notes: list[tuple[str, str, str]] = []
        self.notes_to: date = today(self.clock)
        self.outages = self._outages()
        self.ticks = 0
        self.longest_gap = timedelta(0)
        self.last_tick: datetime | None = None
        self.escalation_plan: dict[int, set[str]] = {}  # what is already scheduled for each
        self.neglected: set[int] = set()  # actions the PDT never gets to
        self.deadlines: list[datetime] = []

    # --- people and time ------------------------------------------------------------
    def as_(self, login: str) -> Context:
        if login not in self._as:
            self._as[login] = replace(self.ctx, user=login)
        return self._as[login]

    def at(self, when: datetime, fn: Callable, *args) -> None:
        if when < self.clock.now():
            when = self.clock.now()
        heapq.heappush(self.agenda, (when, next(self._seq), fn, args))

    def working(self, when: datetime) -> datetime:
        """``when`` if it falls in working hours (London, a working day), else the start of
        the next working morning; now and then (``out_of_hours``) left out of hours."""
        here = local(when)
        if self.rng.random() < self.plan.out_of_hours and 7 <= here.hour < 22:
            return when
        d = here.date()
        if is_working_day(d) and DAY_START <= here.time() < DAY_END:
            return when
        if here.time() >= DAY_START:
            d += timedelta(days=1)
        while not is_working_day(d):
            d += timedelta(days=1)
        return london(d, 9) + timedelta(seconds=self.rng.uniform(0, 2.5 * 3600))

    def later(self, hours: tuple[float, float], *, base: datetime | None = None) -> datetime:
        """A working moment between ``hours`` from ``base`` (now)."""
        base = base or self.clock.now()
        return self.working(base + timedelta(seconds=self.rng.uniform(hours[0] * 3600, hours[1] * 3600)))

    def attempt(self, what: str, fn: Callable, *args, **kwargs):
        """Call a service as a person would; a refusal is counted (by ``what``), not raised."""
        try:
            return fn(*args, **kwargs)
        except DipauditError as exc:
            self.refusals[what] += 1
            self.examples.setdefault(what, str(exc).splitlines()[0])
            return None

    # --- the scheduler ------------------------------------------------------------------
    def _outages(self) -> list[tuple[datetime, datetime]]:
        span = (self.end - self.plan.start).total_seconds()
        n = max(1, round(self.plan.outages_per_year * span / (365 * 86400)))
        out = []
        for _ in range(n):
            begin = self.plan.start + timedelta(seconds=self.rng.uniform(0.1 * span, 0.9 * span))
            out.append((begin, begin + timedelta(days=self.rng.uniform(*self.plan.outage_days))))
        return sorted(out)

    def _next_tick(self, after: datetime) -> datetime:
        when = after + timedelta(minutes=self.rng.uniform(*self.plan.tick_minutes))
        # Now and then the tick lands on a deadline, or within the second after it.
        while self.deadlines and self.deadlines[0] <= after:
            heapq.heappop(self.deadlines)
        if self.deadlines and self.deadlines[0] < when and self.rng.random() < self.plan.tick_on_deadline:
            edge = heapq.heappop(self.deadlines)
            when = edge + timedelta(seconds=self.rng.choice([0.0, self.rng.uniform(0.001, 0.999)]))
        for begin, end in self.outages:
            if begin <= when < end:
                when = end + timedelta(minutes=self.rng.uniform(0, 30))
        return when

    def deadline(self, at: str | datetime | None) -> None:
        """A time a rule turns on (a window closing, a respond-by, a review due), for the
        ticks that land on one."""
        if at:
            heapq.heappush(self.deadlines, from_iso(at) if isinstance(at, str) else at)

    def tick(self) -> None:
        now = self.clock.now()
        deliver = bool(self.plan.deliver and self.plan.deliver[0] <= now < self.plan.deliver[1])
        for _ in range(2 if self.rng.random() < self.plan.double_tick else 1):
            run = run_scheduler(self.as_("system"), deliver=deliver)
            self.ticks += 1
            self.stats["finalised by tick"] += len(run.finalised)
            self.stats["escalations referred by tick"] += len(run.referred)
            self.stats["reviews flagged due"] += len(run.reviews_due)
            self.stats["reminders"] += len(run.reminders)
            self.stats["reports queued by tick"] += sum(1 for r in run.reports if r.report_id)
            self.stats["messages delivered"] += run.delivered
            self.stats["deliveries failed"] += run.failed + run.dead
            self.checks.after_tick(now)
        if self.last_tick is not None:
            self.longest_gap = max(self.longest_gap, now - self.last_tick)
        self.last_tick = now

    # --- the run ---------------------------------------------------------------------
    def run(self) -> Result:
        began = timer.perf_counter()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._first_day()
        next_tick = self._next_tick(self.clock.now())
        while True:
            when = self.agenda[0][0] if self.agenda else None
            if next_tick <= self.end and (when is None or next_tick <= when):
                self.clock.set(next_tick)
                self.tick()
                next_tick = self._next_tick(next_tick)
            elif when is not None and when <= self.end:
                _, _, fn, args = heapq.heappop(self.agenda)
                self.clock.set(when)
                fn(*args)
            else:
                break
        self.clock.set(self.end)
        return self._result(timer.perf_counter() - began)

    def _result(self, seconds: float) -> Result:
        r = self.ctx.store
        by_status = {s: n for s, n in r.rows("SELECT status, count(*) FROM audits GROUP BY status ORDER BY status")}
        return Result(figures=self.checks.figures(), audits_by_status=by_status,
                      escalations=self._escalation_outcomes(), stats=self.stats, refusals=self.refusals,
                      ticks=self.ticks, longest_outage=self.longest_gap, span=(self.plan.start, self.end),
                      seconds=seconds, examples=self.examples)

    def _escalation_outcomes(self) -> dict[str, int]:
        """Each escalation's path (first match) and whether it is closed."""
        r = self.ctx.store
        out: Counter = Counter()
        for eid, status, raised_at, referred_at in r.rows(
                "SELECT escalation_id, status, raised_at, referred_at FROM escalations"):
            steps = r.query("SELECT kind, by FROM escalation_steps WHERE escalation_id = ? ORDER BY at, step_id",
                            [eid])
            kinds = [(s["kind"], s["by"]) for s in steps]
            first_referral = next((by for k, by in kinds if k == "referred"), None)
            responded_first = next((i for i, (k, _) in enumerate(kinds) if k == "responded"), None)
            overdue_first = next((i for i, (k, _) in enumerate(kinds) if k == "overdue"), None)
            if referred_at == raised_at and first_referral and first_referral != "system":
                path = "straight to the Head of Service"
            elif first_referral == "system":
                path = "referred on no response (automatic)"
            elif first_referral:
                path = "referred by the auditor"
            elif responded_first is not None and (overdue_first is None or responded_first < overdue_first):
                path = "answered by the manager in time"
            elif responded_first is not None:
                path = "answered by the manager late"
            else:
                path = "awaiting the manager"
            out[path] += 1
            out["closed" if status == "closed" else "open at the end"] += 1
        return dict(out)

    # --- the admin's imports --------------------------------------------------------------
    def _first_day(self) -> None:
        """The first extract (with ten weeks of case-note history) and the routines."""
        day = today(self.clock)
        self.notes_to = day - timedelta(weeks=10)
        self._import(people=True, caseload=True)
        self.at(self.clock.now() + timedelta(minutes=20), self._week, day)
        self.at(london(day, 9), self._day, day)

    def _import(self, *, people: bool = False, caseload: bool = False) -> None:
        admin = self.as_(ADMIN)
        day = today(self.clock)
        stamp = day.isoformat()
        if people:
            import_people(admin, write_csv(self.workdir / f"people-{stamp}.csv", PEOPLE_COLUMNS, self.council.people))
        if caseload:
            rows = self.council.caseload(day)
            result = import_caseload(admin, write_csv(self.workdir / f"caseload-{stamp}.csv", CASELOAD_COLUMNS, rows))
            self.stats["caseload imports"] += 1
            self.stats["children closed by imports"] += result.closed
        notes = self.council.notes(self.notes_to, day, self.qa_notes)
        self.qa_notes = []
        self.notes_to = day
        import_notes(admin, write_csv(self.workdir / f"notes-{stamp}.csv", NOTE_COLUMNS, notes))
        self.stats["case notes imported"] += len(notes)
        for path in self.workdir.glob(f"*-{stamp}.csv"):
            path.unlink()

    def _week(self, monday: date) -> None:
        """Monday early: the extracts; on the first working day, the week's draw."""
        if monday != local(self.plan.start).date():  # the first day had its imports
            first_of_month = monday.day <= 7
            if first_of_month:
                self.council.evolve(monday, self.plan.monthly_churn)
            self._import(people=first_of_month, caseload=first_of_month)
            if first_of_month and self.rng.random() < 0.5:
                self.at(self.later((2, 4)), self._send_by_hand)
        days = [monday + timedelta(days=k) for k in range(5) if is_working_day(monday + timedelta(days=k))]
        if days:
            self.at(london(days[0], 9) + timedelta(minutes=self.rng.uniform(5, 40)), self._draw, days)
        self.at(london(monday + timedelta(days=7), 7) + timedelta(seconds=self.rng.uniform(0, 300)),
                self._week, monday + timedelta(days=7))

    def _send_by_hand(self) -> None:
        """Now and then an admin sends the SMT report by hand (never a slot)."""
        if self.attempt("report sent by hand", send_report, self.as_(LEAD_AUDITOR), "smt"):
            self.stats["reports sent by hand"] += 1

    # --- audits -------------------------------------------------------------------------
    def _draw(self, days: list[date]) -> None:
        lead = self.as_(LEAD_AUDITOR)
        sample = self.attempt("draw", draw_sample, lead, per_worker=1, auditors=AUDITORS,
                              seed=self.rng.getrandbits(31))
        if sample is None:
            return
        self.stats["samples drawn"] += 1
        self.stats["children drawn"] += len(sample.picks)
        self.stats["workers unfilled in draws"] += len(sample.unfilled)
        for auditor in AUDITORS:
            mine = [q for q in list_queue(self.as_(auditor), auditor=auditor, status="queued")
                    if q.sample_id == sample.sample_id]
            for i, item in enumerate(mine):
                day = days[i * len(days) // max(len(mine), 1)]
                when = london(day, 9, 20) + timedelta(seconds=self.rng.uniform(0, 6.5 * 3600))
                self.at(self.working(when), self._start, auditor, item.queue_id)

    def _start(self, auditor: str, queue_id: int) -> None:
        me = self.as_(auditor)
        audit = self.attempt("start audit", start_audit, me, str(queue_id))
        if audit is None:
            return
        self.stats["audits started"] += 1
        fill_audit(me, audit.audit_id, self._fill(audit, complete=False))
        if self.rng.random() < self.plan.escalate_draft:
            self.at(self.later((0.1, 1)), self._escalate, auditor, audit.audit_id)
        if self.rng.random() < self.plan.abandon:
            self.stats["drafts abandoned"] += 1
            return
        self.at(self.later((0.5, 3)), self._complete, auditor, audit.audit_id)

    def _complete(self, auditor: str, audit_id: int) -> None:
        me = self.as_(auditor)
        audit = fill_audit(me, audit_id, self._fill(get_audit(me, audit_id), complete=True))
        self.at(self.later((0.05, 1.5)), self._submit, auditor, audit.audit_id)

    def _fill(self, audit, *, complete: bool) -> dict:
        """Ratings as a careful auditor gives them: the pre-check's where there is one."""
        rng = self.rng
        ratings = {}
        for s in audit.standards:
            entry = audit.ratings.get(s.id)
            suggested = entry.suggested if entry else None
            if suggested and suggested.rating and rng.random() < 0.9:
                ratings[s.id] = {"rating": suggested.rating,
                                 "evidence": suggested.evidence or "Checked on the child's record."}
            else:
                rating = rng.choice(["met", "met", "met", "partly_met", "not_met", "not_applicable"])
                ratings[s.id] = {"rating": rating, "evidence": JUDGEMENTS.get(s.id, {}).get(
                    rating, "Checked on the child's record.")}
        if not complete:
            return {"ratings": dict(list(ratings.items())[:3])}
        missed = [sid for sid, r in ratings.items() if r["rating"] in ("not_met", "partly_met")]
        due = suggest_due(audit.audit_date, self.settings).isoformat()
        actions = [{"owner_role": ACTIONS[sid][0], "description": ACTIONS[sid][1], "due": due}
                   for sid in missed if sid in ACTIONS][:2]
        actions.append({"owner_role": "manager", "due": due,
                        "description": "Discuss this audit's findings with the worker in supervision."})
        overview = (f"{len(ratings) - len(missed)} of {len(ratings)} standards met."
                    + (" All the standards were met." if not missed else " See the actions."))
        return {"ratings": ratings, "overview": overview, "positive_practice": rng.choice(POSITIVE),
                "actions": actions}

    def _submit(self, auditor: str, audit_id: int) -> None:
        p, rng = self.plan, self.rng
        audit = self.attempt("submit audit", submit_audit, self.as_(auditor), audit_id)
        if audit is None:
            return
        self.stats["audits submitted"] += 1
        self.qa_notes.append((audit.child_id, audit.audit_date.isoformat(), auditor))
        window = self.settings.workflow.comment_window_hours
        self.deadline(from_iso(audit.submitted_at) + timedelta(hours=window))
        self.deadline(audit.review_due_at)
        if rng.random() < p.escalate_submitted:
            self.at(self.later((0.1, 3)), self._escalate, auditor, audit_id)
        if audit.worker and rng.random() < p.comment:
            self.at(self.later((1, window + 8)), self._comment, audit.worker, audit_id, False)
        if audit.manager and rng.random() < p.manager_comment:
            self.at(self.later((1, window + 8)), self._comment, audit.manager, audit_id, False)
        if rng.random() < p.query:
            who = audit.worker if rng.random() < 0.7 or not audit.manager else audit.manager
            self.at(self.later((1, window - 6)), self._comment, who, audit_id, True)

    def _comment(self, who: str, audit_id: int, query: bool) -> None:
        """A comment or query from the worker or manager; after the window closes (and no
        query holds the audit open) it must be refused."""
        audit = get_audit(self.ctx, audit_id)
        deadline = from_iso(audit.submitted_at) + timedelta(hours=self.settings.workflow.comment_window_hours)
        closed = audit.status == "finalised" or (self.clock.now() >= deadline and audit.status != "queried")
        text = ("I disagree with the oversight rating: supervision notes are on paper." if query
                else "Thank you; I will update the record this week.")
        try:
            comment = add_comment(self.as_(who), audit_id, text, query=query)
        except StateError as exc:
            what = "comment after the window" if closed else "comment"
            self.refusals[what] += 1
            self.examples.setdefault(what, str(exc).splitlines()[0])
            return
        if closed:  # taken although the window had closed: the invariants count it
            self.stats["comments taken after the window"] += 1
        self.stats["queries raised" if query else "comments"] += 1
        if not query:
            return
        if self.rng.random() < self.plan.resolve_on_deadline:  # just before or just after it
            when = deadline + timedelta(seconds=self.rng.uniform(-1.0, 1.0))
        elif self.rng.random() < self.plan.query_late:
            when = self.later((2, 110), base=deadline)
        else:
            when = self.later((0.5, 30))
        self.at(when, self._resolve, audit.auditor, comment.comment_id)
        if audit.status != "queried" and self.rng.random() < self.plan.second_query:
            other = audit.manager if who == audit.worker else audit.worker
            if other:
                self.at(self.later((0.5, 20)), self._comment, other, audit_id, True)

    def _resolve(self, auditor: str, comment_id: int) -> None:
        me = self.as_(auditor)
        comment = self.attempt("resolve query", resolve_comment, me, comment_id,
                               "Checked again: the rating stands, with your context noted in the overview.")
        if comment is None:
            return
        self.stats["queries resolved"] += 1
        audit = get_audit(me, comment.audit_id)
        deadline = from_iso(audit.submitted_at) + timedelta(hours=self.settings.workflow.comment_window_hours)
        if from_iso(comment.resolved_at) > deadline:
            self.stats["queries resolved late"] += 1
        if audit.status == "submitted" and needs_manual_finalise(me, audit.audit_id):
            self.at(self.later((0.2, 30)), self._finalise, auditor, audit.audit_id)

    def _finalise(self, auditor: str, audit_id: int) -> None:
        if self.attempt("finalise by hand", finalise_audit, self.as_(auditor), audit_id):
            self.stats["finalised by the auditor"] += 1

    # --- escalations ------------------------------------------------------------------
    def _escalate(self, auditor: str, audit_id: int) -> None:
        rng = self.rng
        roll = rng.random()
        to_hos = roll < 0.10
        phoned = None if to_hos or roll > 0.85 else ("reached" if roll < 0.5 else "no-answer")
        esc = self.attempt("escalate", escalation.escalate, self.as_(auditor), audit_id,
                           "School reports the child has not been seen; a new adult is in the household.",
                           phoned=phoned, to_hos=to_hos)
        if esc is None:
            return
        self.stats["escalations raised"] += 1
        self.escalation_plan[esc.escalation_id] = set()
        self.deadline(esc.respond_by)
        if to_hos:
            return
        raised, due = from_iso(esc.raised_at), from_iso(esc.respond_by)
        roll = rng.random()
        if roll < 0.5:  # in time, mostly (working hours may push it late)
            when = self.working(raised + (due - raised) * rng.uniform(0.2, 0.95))
            self.at(when, self._respond, esc.recipient, esc.escalation_id, "manager")
        elif roll < 0.65:  # late: after respond-by, before or after the referral
            self.at(self.later((0.2, 30), base=due), self._respond, esc.recipient, esc.escalation_id, "manager")
        if rng.random() < 0.05:  # new worries: the auditor takes it up at once
            self.at(self.later((0.5, 5)), self._refer, auditor, esc.escalation_id)

    def _respond(self, who: str, escalation_id: int, level: str) -> None:
        esc = escalation.get_escalation(self.ctx, escalation_id)
        if esc.status == "closed":
            return
        if self.rng.random() < 0.1:  # told by phone: the auditor records it
            who = esc.raised_by
        if self.attempt("respond", escalation.respond, self.as_(who), escalation_id,
                        f"Visited today ({level}); a safety plan is agreed with the family."):
            self.stats[f"responses ({level})"] += 1

    def _refer(self, auditor: str, escalation_id: int) -> None:
        esc = escalation.get_escalation(self.ctx, escalation_id)
        if esc.status != "closed" and esc.level == "manager":
            self.attempt("refer by hand", escalation.refer_to_hos, self.as_(auditor), escalation_id,
                         "New information: significant concerns.")

    def _close(self, auditor: str, escalation_id: int, outcome: str) -> None:
        if escalation.get_escalation(self.ctx, escalation_id).status == "closed":
            return  # closed already (answered and closed while this waited)
        if self.attempt("close escalation", escalation.close, self.as_(auditor), escalation_id, outcome):
            self.stats["escalations closed"] += 1

    def _tracker(self, auditor: str) -> None:
        """An auditor's look at their open escalations: close the answered ones, plan the
        Head of Service's answer to a referral."""
        rng = self.rng
        for esc in escalation.list_escalations(self.as_(auditor)):
            if esc.raised_by != auditor:
                continue
            plan = self.escalation_plan.setdefault(esc.escalation_id, set())
            if esc.status == "responded" and "close" not in plan:
                plan.add("close")
                self.at(self.later((1, 60)), self._close, auditor, esc.escalation_id,
                        "Response received; the plan is in place and the risk is managed.")
            elif esc.level == "head_of_service" and "hos" not in plan:
                plan.add("hos")
                self.deadline(esc.respond_by)
                if rng.random() < 0.7:
                    due = from_iso(esc.respond_by)
                    when = self.working(self.clock.now() + (due - self.clock.now()) * rng.uniform(0.1, 1.2))
                    self.at(when, self._respond, esc.recipient, esc.escalation_id, "head_of_service")
                else:
                    self.at(self.later((5 * 24, 15 * 24)), self._close, auditor, esc.escalation_id,
                            "No response from the Head of Service; taken up with the Service Director.")

    # --- the working day: trackers and the PDT ------------------------------------------
    def _day(self, day: date) -> None:
        """Each working day: the auditors look at their escalations; the PDT works the
        actions list twice."""
        if is_working_day(day):
            for auditor in AUDITORS:
                self.at(self.working(london(day, 9) + timedelta(minutes=self.rng.uniform(5, 120))),
                        self._tracker, auditor)
            for k, hour in enumerate((10, 14)):
                if self.rng.random() < 0.9:
                    self.at(london(day, hour) + timedelta(minutes=self.rng.uniform(0, 50)),
                            self._pdt_session, PDT[(day.toordinal() + k) % 2])
        nxt = day + timedelta(days=1)
        self.at(london(nxt, 8, 30), self._day, nxt)

    def _pdt_session(self, pdt: str) -> None:
        me = self.as_(pdt)
        due = [a for a in list_actions(me, due_only=True) if a.review_is_due and a.status == "open"
               and a.action_id not in self.neglected]
        when = self.clock.now()
        for action in due[:40]:
            when += timedelta(seconds=self.rng.uniform(60, 240))
            self.at(when, self._review, pdt, action.action_id, action.last_review is not None)

    def _review(self, pdt: str, action_id: int, again: bool) -> None:
        rng = self.rng
        roll = rng.random()
        if not again and roll < 0.04:
            self.neglected.add(action_id)  # never reviewed: open, overdue, in every report
            return
        me = self.as_(pdt)
        if roll < (0.85 if again else 0.76):
            outcome, new_due = "completed", None
        elif roll < (0.90 if again else 0.86):
            outcome, new_due = "not_needed", None
        else:
            outcome, new_due = "not_completed", suggest_new_due(me)
        if self.attempt("action review", review_action, me, action_id, outcome, new_due=new_due,
                        note="Checked on the child's record."):
            self.stats[f"reviews: {outcome}"] += 1


def run_simulation(db: Path, plan: Plan, *, workdir: Path, settings: Settings | None = None) -> Result:
    """A simulation on a new database file at ``db``."""
    store = Store.open(db)
    try:
        return Simulation(store, plan, workdir=workdir, settings=settings).run()
    finally:
        store.close()


def report(result: Result, plan: Plan) -> str:
    """The figures as ``bench/simulate_year.py`` prints them."""
    lo, hi = result.span
    lines = [f"simulated {local(lo):%a %d %b %Y %H:%M} to {local(hi):%a %d %b %Y %H:%M} London"
             f" ({plan.months} month{'s' if plan.months != 1 else ''}, seed {plan.seed})"]
    lines.append(calendar(lo, hi))
    total = sum(result.audits_by_status.values())
    lines.append(f"audits: {total} (" + ", ".join(f"{s} {n}" for s, n in result.audits_by_status.items()) + ")")
    esc = dict(result.escalations)
    closed, still = esc.pop("closed", 0), esc.pop("open at the end", 0)
    lines.append(f"escalations: {closed + still} (" + ", ".join(f"{k} {n}" for k, n in sorted(esc.items()))
                 + f"; closed {closed}, open at the end {still})")
    lines.append(f"ticks run: {result.ticks}; longest gap between ticks: {_span(result.longest_outage)}")
    lines.append("what happened: " + ", ".join(f"{k} {n}" for k, n in sorted(result.stats.items())))
    if result.refusals:
        lines.append("refused (as the rules say):")
        lines += [f"  {k}: {n} (e.g. \"{result.examples.get(k, '')}\")" for k, n in sorted(result.refusals.items())]
    lines.append("invariants:")
    lines += [f.line() for f in result.figures]
    if not any(f.name.startswith("trail verify") for f in result.figures):
        lines.append("  trail verify: not available")
    lines.append(f"run time: {result.seconds:.1f} s")
    lines.append("all invariants hold" if result.ok else
                 f"INVARIANTS BROKEN: {', '.join(f.name for f in result.failed())}")
    return "\n".join(lines)


def calendar(lo: datetime, hi: datetime) -> str:
    """The clock changes and England bank holidays between ``lo`` and ``hi``."""
    changes, holidays = [], []
    d, last = local(lo).date(), local(hi).date()
    while d <= last:
        before, after = local(london(d, 0)).utcoffset(), local(london(d, 12)).utcoffset()
        if before != after:
            changes.append(f"{'forward' if after > before else 'back'} {d:%a %d %b %Y}")
        if name := bank_holiday(d):
            holidays.append(f"{d:%d %b} ({name})")
        d += timedelta(days=1)
    return (f"clock changes: {', '.join(changes) or 'none'}; bank holidays: {len(holidays)}"
            + (f" ({', '.join(holidays)})" if holidays else ""))


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"{days}d {rest // 3600}h {rest % 3600 // 60}m"

