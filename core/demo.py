"""The demo database: a deterministic synthetic council, loaded through the real importers.

``generate`` invents the council (people, caseload, case-note history) from a seed
and a date, with no wall clock: the same seed and the same day give the same
files. ``build_demo`` writes those files to a temporary directory (a canonical
caseload CSV, an Ofsted Annex A List 9 for the care leavers, people, notes) and
imports them exactly as an admin would; replays three weeks of audits, comments,
escalations and a PDT review through the real services with the clock moved back;
then draws today's sample as the demo auditor so the queue is not empty.

Everything is obviously fictional: whimsical invented surnames, ``DEMO`` child
ids and ``example.org`` addresses.
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from . import escalation
from .actions import review_action, suggest_new_due
from .audit import fill_audit, start_audit, submit_audit
from .clock import Clock, FixedClock, today
from .comments import add_comment, resolve_comment
from .config import Settings
from .context import Context
from .errors import StateError
from .identity import DEMO_KEY
from .importers import import_caseload, import_notes, import_people
from .programme import load_programme
from .sampling import draw_sample
from .store import Store, audits, children, escalations, meta, people, queue
from .tick import tick
from .vocabulary import COHORTS
from .workdays import suggest_due

DEMO_SEED = 2020
SAMPLE_SEED = 427  # the first draw of the demo, so its queue is the same every build
DEMO_USER = "qa.alex"  # the demo opens the TUI as this auditor
DEMO_ADMIN = "admin.robin"  # who runs the demo's imports
DEMO_PDT = "pdt.dot"  # who records the demo's action review
DOMAIN = "example.org"
META_KEY = DEMO_KEY  # the marker core.identity reads: anyone may act as anyone here


@dataclass(frozen=True)
class Shape:
    """The dates the history is shaped around, so every standard has children who
    meet it and children who miss it. Defaults: the default programme ("COVID-19,
    Virtual Contacts and Management Oversight") and the default sampling settings;
    ``build_demo`` reads them from the programme in use and the settings."""

    virtual_practice_start: date = date(2020, 3, 23)
    oversight_deadline: date = date(2020, 4, 20)
    oversight_interval_days: int = 28
    exclusion_days: int = 28


CHILDREN = 800
# Cohort of a family (its first child). Care leavers come alone and an unborn baby's
# siblings are on a plan, so per child this gives roughly unborn 3%, cp 20%, care
# leavers 12%, cla 25%, cin 40%: the mix of a council's open cases.
COHORT_MIX = {"unborn": 0.045, "cp": 0.175, "care_leaver": 0.155, "cla": 0.25, "cin": 0.375}
FAMILY_SIZES = {1: 0.68, 2: 0.18, 3: 0.10, 4: 0.04}
CLOSED_SHARE = 0.07  # episode ended in the last six months (Annex A keeps them)
UNALLOCATED_SHARE = 0.02  # "#N/A" in the worker column
UNALLOCATED = "#N/A"

# Which teams hold which cohorts (a council's teams specialise).
TEAMS = {
    "Assessment North": ("cin", "cp"),
    "Child Protection South": ("cp", "unborn", "cin"),
    "Family Support East": ("cin",),
    "Children in Care": ("cla",),
    "Leaving Care": ("care_leaver",),
}
HEADS_OF_SERVICE = {
    "hos.marigold": ("Marigold Lanternby", ("Assessment North", "Child Protection South", "Family Support East")),
    "hos.barnaby": ("Barnaby Quillfeather", ("Children in Care", "Leaving Care")),
}
MANAGERS = {  # one supervising manager per team
    "Assessment North": ("mgr.odette", "Odette Thimbleby"),
    "Child Protection South": ("mgr.percival", "Percival Inkwhistle"),
    "Family Support East": ("mgr.rosalind", "Rosalind Kettlewhistle"),
    "Children in Care": ("mgr.septimus", "Septimus Buttonmoss"),
    "Leaving Care": ("mgr.tabitha", "Tabitha Fernhollow"),
}
WORKER_FIRST = ["Ada", "Ben", "Cleo", "Dev", "Esme", "Finn", "Gus", "Hana", "Ivo", "Jude",
                "Kit", "Lena", "Milo", "Nia", "Oren", "Priya", "Quin", "Rhea", "Sol", "Tess",
                "Uma", "Vic", "Wes", "Yara", "Zac"]
WORKER_SURNAME = ["Inkwell", "Teacosy", "Pennywhistle", "Lampwick", "Quillby", "Mossbottom",
                  "Tumbledown", "Crumpetson", "Hazelnook", "Puddingstone", "Wickerbee",
                  "Snapdragon", "Thistlethwaite", "Buttercrumb", "Gingerbloom", "Nettlebank",
                  "Acornby", "Brackenridge", "Dapplewood", "Figtree", "Larkspur", "Mapleroot",
                  "Owlsworth", "Pebbleford", "Rushlight"]
OTHER_STAFF = [  # login, name, roles: central staff, in no caseload team
    (DEMO_USER, "Alex Papercrane", ("auditor",)),
    ("qa.bea", "Bea Ledgerly", ("auditor",)),
    ("qa.cas", "Cas Tallymark", ("auditor", "admin")),
    ("pdt.dot", "Dot Mentorwell", ("pdt",)),
    ("pdt.ezra", "Ezra Coachworth", ("pdt",)),
    (DEMO_ADMIN, "Robin Keyholder", ("admin",)),
    ("smt.hal", "Hal Overbridge", ("smt",)),
    ("smt.ines", "Ines Highfield", ("smt",)),
    ("dir.jo", "Jo Greatorex", ("director",)),  # Service Director
    ("dir.kay", "Kay Corbelstone", ("director",)),  # Corporate Director of Children's Services
]

CHILD_FIRST = ["Pip", "Wren", "Juniper", "Bramble", "Clover", "Tansy", "Rook", "Sorrel",
               "Marigold", "Linden", "Fable", "Moss", "Poppy", "Basil", "Hazel", "Rowan",
               "Saffron", "Tamsin", "Ember", "Orla", "Jasper", "Nutmeg", "Pippin", "Quince",
               "Rosehip", "Sage", "Teasel", "Umber", "Violet", "Wynn", "Yarrow", "Zinnia",
               "Acorn", "Bryony", "Cobble", "Elder", "Figgy", "Gorse", "Heron", "Ivy"]
SURNAME_HEAD = ["Bramble", "Quill", "Thistle", "Moss", "Puddle", "Fern", "Nettle", "Toad",
                "Owl", "Pebble", "Willow", "Crumble", "Marrow", "Sorrel", "Bracken", "Tumble",
                "Wobble", "Jingle", "Fiddle", "Biscuit"]
SURNAME_TAIL = ["wick", "feather", "down", "bottom", "thorpe", "sprocket", "whistle", "button",
                "pocket", "hop", "crumb", "snout", "whisker", "muddle"]

OTHER_NOTE_TYPES = ["Home visit", "Statutory visit", "Supervision", "Strategy discussion",
                    "Telephone call", "Core group meeting", "Case summary"]


@dataclass
class DemoData:
    """The demo council as the files an admin would import."""

    people: list[dict] = field(default_factory=list)
    caseload: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)


PEOPLE_COLUMNS = ["login", "name", "roles", "team", "email", "teams", "manager", "head_of_service"]
CASELOAD_COLUMNS = ["child_id", "name", "date_of_birth", "expected_date_of_birth", "cohort",
                    "worker", "team", "family_id", "closed_on"]
NOTE_COLUMNS = ["child_id", "date", "type", "author", "summary"]


def note_type_names(settings: Settings) -> dict[str, str]:
    """The name this council's case management system gives each kind of note (its first configured name)."""
    names = {kind: getattr(settings.note_types, kind)[0]
             for kind in ("covid", "virtual_contact", "communication", "management_oversight", "qa_audit")}
    return names


# -- the people ---------------------------------------------------------------
def _people() -> tuple[list[dict], dict[str, list[dict]]]:
    """Everyone in the demo council, and the workers of each team."""
    people: list[dict] = []
    hos_of = {team: login for login, (_n, teams) in HEADS_OF_SERVICE.items() for team in teams}

    def person(login, name, roles, team=None, manager=None, hos=None):
        people.append({"login": login, "name": name, "roles": ";".join(roles), "team": team or "",
                       "email": f"{login}@{DOMAIN}", "teams": "", "manager": manager or "",
                       "head_of_service": hos or ""})

    for login, (name, _teams) in HEADS_OF_SERVICE.items():
        person(login, name, ["head_of_service"])
    workers: dict[str, list[dict]] = {}
    i = 0
    for team in TEAMS:
        mgr_login, mgr_name = MANAGERS[team]
        person(mgr_login, mgr_name, ["manager"], team, hos_of[team], hos_of[team])
        workers[team] = []
        for _ in range(5):
            first, surname = WORKER_FIRST[i], WORKER_SURNAME[i]
            login = f"{first}.{surname}".lower()
            person(login, f"{first} {surname}", ["worker"], team, mgr_login, hos_of[team])
            workers[team].append(people[-1])
            i += 1
    for login, name, roles in OTHER_STAFF:
        person(login, name, roles)
    return people, workers


# -- the caseload -------------------------------------------------------------
def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day(rng: random.Random, lo: date, hi: date) -> date | None:
    """A random day in [lo, hi], or None when the range is empty."""
    if lo > hi:
        return None
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _years_ago(on: date, rng: random.Random, lo: float, hi: float) -> date:
    return on - timedelta(days=rng.randint(int(lo * 365.25), int(hi * 365.25)))


def _date_of_birth(rng: random.Random, cohort: str, on: date) -> tuple[str, str]:
    """(date_of_birth, expected_date_of_birth) as ISO strings."""
    if cohort == "unborn":
        return "", (on + timedelta(days=rng.randint(14, 160))).isoformat()
    ages = {"care_leaver": (18, 21), "cla": (1, 17.5), "cp": (0.2, 16), "cin": (0.5, 17.5)}[cohort]
    return _years_ago(on, rng, *ages).isoformat(), ""


def _caseload(rng: random.Random, on: date, workers: dict[str, list[dict]]) -> list[dict]:
    teams_for = {c: [t for t, held in TEAMS.items() if c in held] for c in COHORTS}
    rows: list[dict] = []
    family_no = 0
    while len(rows) < CHILDREN:
        cohort = _pick(rng, COHORT_MIX)
        size = 1 if cohort == "care_leaver" else _pick(rng, FAMILY_SIZES)
        size = min(size, CHILDREN - len(rows))
        team = rng.choice(teams_for[cohort])
        worker = rng.choice(workers[team])["name"]
        if rng.random() < UNALLOCATED_SHARE:
            worker = UNALLOCATED
        closed_on = ""
        if rng.random() < CLOSED_SHARE:
            closed_on = (on - timedelta(days=rng.randint(3, 170))).isoformat()
        surname = rng.choice(SURNAME_HEAD) + rng.choice(SURNAME_TAIL)
        family_id = ""
        if size > 1:
            family_no += 1
            family_id = f"DEMOFAM{family_no:03d}"
        firsts = rng.sample(CHILD_FIRST, size)
        for k in range(size):
            # An unborn baby's older siblings are usually on a child protection plan.
            own = cohort if k == 0 or cohort != "unborn" else "cp"
            dob, edd = _date_of_birth(rng, own, on)
            name = f"Unborn {surname}" if own == "unborn" else f"{firsts[k]} {surname}"
            rows.append({"child_id": f"DEMO{len(rows) + 1:04d}", "name": name,
                         "date_of_birth": dob, "expected_date_of_birth": edd, "cohort": own,
                         "worker": worker, "team": team, "family_id": family_id,
                         "closed_on": closed_on})
    return rows


# -- the case-note history ----------------------------------------------------
# Shares of children in each pattern: enough of each that every pre-check meets
# both outcomes in the demo.
HAS_COVID_NOTE = 0.82
CONTACT_PATTERNS = {"virtual_only": 0.50, "communication_only": 0.18, "both": 0.17, "none": 0.15}
OVERSIGHT_BY_DEADLINE = 0.60
OVERSIGHT_CURRENT = 0.62
RECENT_QA_AUDIT = 0.04  # audited within the exclusion period: the sampler skips them
OLDER_QA_AUDIT = 0.06

SUMMARIES = {
    "covid": "COVID-19 risk assessment: household shielding status and contact plan agreed.",
    "virtual_contact": "Video call with {first}; seen and spoken to alone on screen.",
    "communication": "Spoke with {first} by video call about school and home.",
    "management_oversight": "Oversight: risk reviewed, partner agencies' support and contact level set.",
    "qa_audit": "QA Audit case note: findings and recommended actions.",
    "other": "{type} recorded.",
}


def _notes(rng: random.Random, on: date, child: dict, authors: dict, names: dict,
           shape: Shape) -> list[dict]:
    """One child's history, shaped around the programme's dates and ``on`` (today)."""
    start, deadline = shape.virtual_practice_start, shape.oversight_deadline
    end = date.fromisoformat(child["closed_on"]) if child["closed_on"] else on
    end = min(end, on - timedelta(days=1))  # the extract holds notes up to yesterday
    worker = authors["worker"]
    manager = authors["manager"]
    first = child["name"].split()[0]
    out: list[tuple[date, str, str, str]] = []  # (date, kind, type, author)

    def add(day: date | None, kind: str, author: str, type_: str | None = None) -> None:
        note = (day, kind, type_ or names[kind], author)
        if day is not None and day <= end and note not in out:  # one note of a kind a day
            out.append(note)

    # Before virtual practice: ordinary visits and an earlier oversight.
    for _ in range(rng.randint(1, 2)):
        add(_day(rng, start - timedelta(days=70), start - timedelta(days=1)), "other", worker, "Home visit")
    if rng.random() < 0.7:
        add(_day(rng, start - timedelta(days=70), start - timedelta(days=20)), "management_oversight", manager)

    if rng.random() < HAS_COVID_NOTE:
        add(_day(rng, start, min(end, start + timedelta(days=45))), "covid", worker)

    pattern = _pick(rng, CONTACT_PATTERNS)
    if pattern in ("virtual_only", "both"):
        for _ in range(rng.randint(1, 4)):
            add(_day(rng, start, end), "virtual_contact", worker)
    if pattern in ("communication_only", "both"):
        # The classic mistake: a virtual contact recorded as a communication.
        for _ in range(rng.randint(1, 3)):
            add(_day(rng, start, end), "communication", worker)

    by_deadline = rng.random() < OVERSIGHT_BY_DEADLINE
    current = rng.random() < OVERSIGHT_CURRENT
    latest_ok = on - timedelta(days=shape.oversight_interval_days - 1)
    stale_by = on - timedelta(days=shape.oversight_interval_days + 1)
    if by_deadline:
        hi = min(deadline, end if current else min(end, stale_by))
        add(_day(rng, start, hi), "management_oversight", manager)
    if current:
        lo = latest_ok if by_deadline else max(latest_ok, deadline + timedelta(days=1))
        add(_day(rng, lo, end), "management_oversight", manager)
    else:
        day = _day(rng, on - timedelta(days=90), min(end, stale_by))
        if day is not None and not by_deadline and start <= day <= deadline:
            day = start - timedelta(days=rng.randint(1, 20))  # keep the deadline missed
        add(day, "management_oversight", manager)

    for _ in range(rng.randint(1, 4)):
        add(_day(rng, max(start, on - timedelta(days=120)), end), "other", worker, rng.choice(OTHER_NOTE_TYPES))

    roll = rng.random()
    if roll < RECENT_QA_AUDIT:
        add(_day(rng, on - timedelta(days=shape.exclusion_days - 1), end), "qa_audit", "qa.bea")
    elif roll < RECENT_QA_AUDIT + OLDER_QA_AUDIT:
        add(_day(rng, on - timedelta(days=120), on - timedelta(days=shape.exclusion_days + 7)), "qa_audit", "qa.cas")

    out.sort()
    return [{"child_id": child["child_id"], "date": d.isoformat(), "type": type_, "author": author,
             "summary": SUMMARIES[kind].format(first=first, type=type_)}
            for d, kind, type_, author in out]


def generate(seed: int, on: date, *, note_types: dict[str, str] | None = None,
             shape: Shape | None = None) -> DemoData:
    """The demo council as files to import, from ``seed`` and the day ``on`` (no wall clock)."""
    rng = random.Random(seed)
    shape = shape or Shape()
    names = dict(note_types or note_type_names(Settings.model_construct()))
    people, workers = _people()
    caseload = _caseload(rng, on, workers)
    login_of = {p["name"]: p["login"] for p in people}
    manager_of = {p["login"]: p["manager"] for p in people}
    duty = {team: ws[0]["login"] for team, ws in workers.items()}  # duty worker for unallocated children
    notes: list[dict] = []
    for child in caseload:
        worker = login_of.get(child["worker"]) or duty[child["team"]]
        authors = {"worker": worker, "manager": manager_of[worker]}
        notes.extend(_notes(rng, on, child, authors, names, shape))
    return DemoData(people=people, caseload=caseload, notes=notes)


# Ofsted Annex A List 9 as councils keep it (field notes): the open care leavers go
# in one, with UK dates, coded values and an age column, so the demo loads through
# the Annex A importer too. The rest of the caseload is the canonical CSV.
LIST9_HEADINGS = ["Child Unique ID", "Child Name", "Gender", "Ethnicity", "Date of Birth",
                  "Age of Child (Years)", "Allocated Team", "Allocated Worker",
                  "Allocated Personal Advisor", "Eligibility Category",
                  "Latest Pathway Plan Review Date", "LA in Touch", "Latest Date of Contact",
                  "Type of Accommodation", "Suitability of Accommodation", "Activity Status"]


def _uk(iso_date: str) -> str:
    return date.fromisoformat(iso_date).strftime("%d/%m/%Y") if iso_date else ""


def _list9_row(child: dict, on: date) -> dict:
    rng = random.Random(child["child_id"])  # its own stream: the caseload's draw is untouched
    extract = on - timedelta(days=HISTORY_DAYS + 1)  # the file is first loaded three weeks back
    born = date.fromisoformat(child["date_of_birth"])
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    worker = child["worker"]
    return dict(zip(LIST9_HEADINGS, [
        child["child_id"], child["name"], rng.choice(["a) Male", "b) Female"]),
        rng.choice(["WBRI", "WOTH", "MWBC", "BAFR", "AIND"]), _uk(child["date_of_birth"]), str(age),
        child["team"], worker, worker, rng.choice(["a) Eligible", "c) Relevant", "d) Former relevant"]),
        _uk((extract - timedelta(days=rng.randint(10, 170))).isoformat()), rng.choice(["Yes", "Yes", "No"]),
        _uk((extract - timedelta(days=rng.randint(1, 60))).isoformat()),
        rng.choice(["a) Independent living", "b) Supported lodgings", "c) With former foster carers"]),
        rng.choice(["Suitable", "Suitable", "Not suitable"]),
        rng.choice(["a) Education", "b) Training", "c) Employment", "d) Not in education, employment or training"]),
    ], strict=True))


def write_files(data: DemoData, folder: Path, on: date) -> dict[str, Path]:
    """Write the demo as the files an admin would import: people, the caseload (Annex A
    List 9 for open care leavers, the canonical CSV for the rest) and case notes."""
    paths = {"people": folder / "people.csv", "caseload": folder / "caseload.csv",
             "list9": folder / "annex-a-list9.csv", "notes": folder / "notes.csv"}
    in_list9 = [c for c in data.caseload if c["cohort"] == "care_leaver" and not c["closed_on"]]
    canonical = [c for c in data.caseload if c not in in_list9]
    for key, columns, rows in (("people", PEOPLE_COLUMNS, data.people),
                               ("caseload", CASELOAD_COLUMNS, canonical),
                               ("list9", LIST9_HEADINGS, [_list9_row(c, on) for c in in_list9]),
                               ("notes", NOTE_COLUMNS, data.notes)):
        with paths[key].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return paths


# -- building the database ----------------------------------------------------
def shape_for(ctx: Context) -> Shape:
    """The programme in use and the sampling settings decide the dates the history meets or misses."""
    params = load_programme(ctx.settings).parameters
    return Shape(virtual_practice_start=params.virtual_practice_start,
                 oversight_deadline=params.oversight_deadline,
                 oversight_interval_days=params.oversight_interval_days,
                 exclusion_days=ctx.settings.sampling.exclusion_days)


def build_demo(ctx: Context, *, seed: int = DEMO_SEED) -> dict:
    """Build the demo council into the empty database of ``ctx``, relative to its clock.

    The people, caseload and case notes go through the real importers as the demo
    admin would load them; three weeks of use are replayed through the real services
    (audits in every state, comments, escalations, a PDT review: see ``_history``);
    then the demo auditor draws today's sample (fixed seed, auditors round-robin) so
    the queue has work in it. Same seed and same clock: the same database. Refuses a
    database that already holds data.
    """
    if meta.holds_data(ctx.store):
        raise StateError(f"{ctx.store.path}: already holds people or children; "
                         "the demo builds into an empty database")
    data = generate(seed, today(ctx.clock), note_types=note_type_names(ctx.settings),
                    shape=shape_for(ctx))
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="dipaudit-demo-") as tmp:
        paths = write_files(data, Path(tmp), today(ctx.clock))
        history = _earlier_weeks(ctx, paths) | _history(ctx, rng, paths)
    tick(replace(ctx, user="system"))
    sample = draw_sample(replace(ctx, user=DEMO_USER), seed=SAMPLE_SEED, auditors=_auditors())
    summary = demo_summary(ctx) | history | {"seed": seed, "sample_id": sample.sample_id}
    admin = replace(ctx, user=DEMO_ADMIN)
    with admin.tx() as tx:
        marker = {"seed": seed, "built_at": tx.at, "demo_user": DEMO_USER}
        meta.put(tx, META_KEY, json.dumps(marker))
        tx.event("demo", None, "built", after=summary)
    return summary


def demo_summary(ctx: Context) -> dict:
    """Counts a person reads after building or reopening the demo."""
    caseload = children.counts(ctx.store)
    return {
        "path": str(ctx.store.path.absolute()),
        "demo_user": DEMO_USER,
        "people": people.count(ctx.store),
        "teams": caseload["teams"],
        "children": caseload["children"],
        "open_cases": caseload["open_cases"],
        "unallocated": caseload["unallocated"],
        "sibling_groups": caseload["sibling_groups"],
        "case_notes": children.count_notes(ctx.store),
        "queued": queue.count_live(ctx.store),
        "queued_for_demo_user": queue.count_live(ctx.store, queued_for=DEMO_USER),
        "audits": sum(audits.count_by_status(ctx.store).values()),
        "audits_by_status": audits.count_by_status(ctx.store),
        "escalations_open": escalations.count_open(ctx.store),
    }


def remove_database(path: Path) -> None:
    """Delete a database file with its WAL companions."""
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def prepare_demo(path: Path, *, clock: Clock, settings: Settings, os_login: str,
                 seed: int | None = None, force: bool = False) -> dict:
    """The demo database at ``path``: reused when it is one already, else built.

    ``force`` rebuilds a demo database from scratch; so must a ``seed`` other than
    the one it was built with. A dipaudit database with data in it that is not a
    demo is never deleted or built over. Returns the summary with ``built``
    (False when reused).
    """
    path = Path(path).absolute()
    existed = path.exists()
    if existed:
        store = Store.open(path)
        try:
            marker = meta.get(store, META_KEY)
            empty = not meta.holds_data(store)
            if marker and not force:
                built_with = json.loads(marker).get("seed")
                if seed is not None and seed != built_with:
                    raise StateError(f"{path}: a demo built with seed {built_with}; "
                                     f"--force rebuilds it with seed {seed}")
                ctx = Context(store=store, clock=clock, settings=settings, user=DEMO_ADMIN, os_login=os_login)
                return demo_summary(ctx) | {"built": False}
        finally:
            store.close()
        if not marker and not empty:
            raise StateError(f"{path}: a dipaudit database that is not a demo; "
                             "choose another --db for the demo")
        if marker:
            remove_database(path)
            existed = False
    store = Store.open(path)
    try:
        ctx = Context(store=store, clock=clock, settings=settings, user=DEMO_ADMIN, os_login=os_login)
        summary = build_demo(ctx, seed=DEMO_SEED if seed is None else seed) | {"built": True}
    except BaseException:
        store.close()
        if not existed:
            remove_database(path)  # a half-built demo would be refused next time: leave nothing
        raise
    store.close()
    return summary


# -- the last three weeks, through the real services ---------------------------
HISTORY_DAYS = 21  # the demo council started using dipaudit three weeks before the clock
PAST_SAMPLE_SEED = 323
PAST_SAMPLE_TEAMS = ("Child Protection South", "Children in Care")

# What an auditor writes for the standards no case-note metadata can judge.
JUDGEMENTS = {
    "oversight_partners": {
        "met": "The latest oversight sets out how school, health and police support the plan.",
        "partly_met": "The oversight names the school but not how health are supporting the plan.",
        "not_met": "The oversight does not say how partner agencies support the management of risk.",
    },
    "oversight_contact_level": {
        "met": "The oversight directs weekly virtual contact and a fortnightly home visit.",
        "partly_met": "The oversight sets how often but not whether contact is virtual or face to face.",
        "not_met": "The oversight gives no direction on the level of contact.",
    },
}
ACTIONS = {  # standard id -> (owner role, what must be done)
    "covid_note": ("worker", "Add a COVID-19 case note recording the household's risks and the contact plan."),
    "virtual_contact": ("worker", "Re-record virtual contacts since 23/03/2020 with the Virtual contact case note."),
    "oversight_current": ("manager", "Record management oversight now and at least every 28 days."),
    "oversight_virtual": ("manager", "Record oversight reflecting virtual working and the current risks."),
    "oversight_partners": ("manager", "Set out in the oversight how partner agencies support the plan."),
    "oversight_contact_level": ("manager", "Direct the worker on the level and type of contact needed."),
}
POSITIVE = [
    "The child's voice comes through clearly in the recent virtual contacts.",
    "Contact with the family kept going through lockdown, with creative use of video calls.",
    "Clear, well-written notes that make the child's daily life easy to picture.",
]


def _auditors() -> list[str]:
    return [login for login, _name, roles in OTHER_STAFF if "auditor" in roles]


def _fill_data(audit, rng: random.Random, settings: Settings, *, complete: bool = True) -> dict:
    """Ratings as a careful auditor would give them: the pre-check where there is one."""
    ratings: dict[str, dict] = {}
    for s in audit.standards:
        entry = audit.ratings.get(s.id)
        suggested = entry.suggested if entry else None
        if suggested:
            ratings[s.id] = {"rating": suggested.rating, "evidence": suggested.evidence}
        else:
            rating = rng.choice(["met", "met", "partly_met", "not_met"])
            text = JUDGEMENTS.get(s.id, {}).get(rating, "Checked on the child's record.")
            ratings[s.id] = {"rating": rating, "evidence": text}
    if not complete:  # a draft: the first few standards done
        return {"ratings": dict(list(ratings.items())[:3])}
    missed = [sid for sid, r in ratings.items() if r["rating"] in ("not_met", "partly_met")]
    due = suggest_due(audit.audit_date, settings).isoformat()
    actions = [{"owner_role": ACTIONS[sid][0], "description": ACTIONS[sid][1], "due": due}
               for sid in missed if sid in ACTIONS][:2]
    actions.append({"owner_role": "manager", "due": due,
                    "description": "Discuss this audit's findings with the worker in supervision."})
    met = len(ratings) - len(missed)
    overview = (f"{met} of {len(ratings)} standards met. "
                + ("All the standards were met." if not missed else
                   "Not fully met: " + ", ".join(missed) + "; see the actions."))
    return {"ratings": ratings, "overview": overview, "positive_practice": rng.choice(POSITIVE),
            "actions": actions}


def _history(ctx: Context, rng: random.Random, paths: dict[str, Path]) -> dict:
    """Three weeks of dipaudit use, replayed through the real services with a clock
    moved back, the scheduler running every morning: a finalised audit with an
    action reviewed and one awaiting PDT, a query resolved, an escalation that went
    unanswered to the Head of Service, a query open, an audit in its comment window,
    a draft in progress."""
    end = ctx.now()
    clock = FixedClock(end - timedelta(days=HISTORY_DAYS))
    next_cron = clock.now() + timedelta(hours=1)

    def as_(login: str) -> Context:
        return replace(ctx, clock=clock, user=login)

    def at(offset: timedelta) -> None:
        """Move the clock on to ``end + offset``, running the daily scheduler on the way."""
        nonlocal next_cron
        when = end + offset
        while next_cron <= when:
            clock.set(next_cron)
            tick(as_("system"))
            next_cron += timedelta(days=1)
        clock.set(when)

    # Three weeks ago: the first extract and the first draw.
    first_notes = paths["notes"].with_name("notes-earlier.csv")
    cutoff = today(clock).isoformat()
    with paths["notes"].open(encoding="utf-8") as src, first_notes.open("w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.DictReader(src), csv.DictWriter(dst, fieldnames=NOTE_COLUMNS)
        writer.writeheader()
        writer.writerows(r for r in reader if r["date"] < cutoff)
    import_people(as_(DEMO_ADMIN), paths["people"])  # bootstrap: the first import makes the directory
    import_caseload(as_(DEMO_ADMIN), paths["caseload"])
    import_caseload(as_(DEMO_ADMIN), paths["list9"])
    import_notes(as_(DEMO_ADMIN), first_notes)
    past = draw_sample(as_(DEMO_USER), seed=PAST_SAMPLE_SEED, teams=PAST_SAMPLE_TEAMS, auditors=_auditors())
    items = queue.of_sample(ctx.store, past.sample_id)
    mine = next(i for i in items if i["auditor"] == DEMO_USER)
    others = iter([i for i in items if i is not mine])

    def submitted(offset: timedelta) -> tuple[object, Context]:
        item = next(others)
        at(offset)
        auditor = as_(item["auditor"])
        audit = start_audit(auditor, str(item["queue_id"]))
        fill_audit(auditor, audit.audit_id, _fill_data(audit, rng, ctx.settings))
        return submit_audit(auditor, audit.audit_id), auditor

    # Finalised by the scheduler; one action reviewed by PDT, one awaiting review.
    done, done_by = submitted(-timedelta(days=20))
    at(-timedelta(days=19, hours=-2))
    esc = escalation.escalate(done_by, done.audit_id, "Mother's partner has moved back in; no safety plan.",
                              phoned="reached")
    at(-timedelta(days=19, hours=-5))
    escalation.respond(as_(done.manager), esc.escalation_id, "Strategy discussion held; safety plan agreed.")
    at(-timedelta(days=18))
    escalation.close(done_by, esc.escalation_id, "Safety plan in place; no further escalation needed.")

    # A query raised by the worker, resolved by the auditor inside the window.
    queried, queried_by = submitted(-timedelta(days=15))
    at(-timedelta(days=14))
    query = add_comment(as_(queried.worker), queried.audit_id,
                        "I recorded the virtual contacts as communications before the new note type existed.",
                        query=True)
    at(-timedelta(days=13))
    resolve_comment(queried_by, query.comment_id, "Agreed: the rating stands, with that context noted.")

    # An escalation nobody answered: overdue, referred to the Head of Service, overdue again.
    unanswered, unanswered_by = submitted(-timedelta(days=8))
    at(-timedelta(days=8, hours=-1))
    escalation.escalate(unanswered_by, unanswered.audit_id,
                        "Child not seen for six weeks; school reports injuries.", phoned="no-answer")

    at(-timedelta(days=4))
    first, *_rest = done.actions
    review_action(as_(DEMO_PDT), first.action_id, "completed", note="Seen on the record.")

    # An open query holding finalisation; an audit in its window with a comment.
    held, _ = submitted(-timedelta(hours=50))
    at(-timedelta(hours=30))
    add_comment(as_(held.manager), held.audit_id, "Oversight was recorded on paper during lockdown; please"
                " look again at the oversight ratings.", query=True)
    window, window_by = submitted(-timedelta(hours=26))
    at(-timedelta(hours=6))
    add_comment(as_(window.worker), window.audit_id, "Thank you; I will update the notes this week.")
    at(-timedelta(hours=3))
    escalation.escalate(window_by, window.audit_id, "Concerns about a new adult in the household.",
                        phoned="reached")

    # The demo auditor's draft in progress.
    at(-timedelta(hours=2))
    me = as_(DEMO_USER)
    draft = start_audit(me, str(mine["queue_id"]))
    fill_audit(me, draft.audit_id, _fill_data(draft, rng, ctx.settings, complete=False))

    at(timedelta(0))
    # Today's extract: the same caseload (episodes ended since are closed) and the notes to date.
    import_caseload(as_(DEMO_ADMIN), paths["caseload"])
    import_caseload(as_(DEMO_ADMIN), paths["list9"])
    import_notes(as_(DEMO_ADMIN), paths["notes"])
    return {"past_sample_id": past.sample_id}


# -- the weeks before the replay: a history for the weekly report's trend -----------------
EARLIER_WEEKS = 6  # weeks of audits before the three-week replay
EARLIER_SEED = 1406
# The teams drawn from each week, in turn (care leavers arrive with the Annex A list, three
# weeks back); one team in the last two weeks, whose actions still await their two-week
# PDT review when the replay begins.
EARLIER_TEAMS = [("Assessment North", "Family Support East"), ("Child Protection South", "Children in Care"),
                 ("Family Support East", "Child Protection South"), ("Children in Care", "Assessment North"),
                 ("Child Protection South",), ("Family Support East",)]


def _earlier_weeks(ctx: Context, paths: dict[str, Path]) -> dict:
    """Six weeks of audits before the three-week replay, so the weekly report has a trend
    and the reports' history has something in it: each Monday the demo auditor draws
    one child per worker in two teams, the auditors audit and submit them through the
    week, a few escalations are raised, answered and closed, and two weeks on the PDT
    reviews the actions (most completed, some not completed with a new date, some left
    for later). The scheduler runs every morning, so the audits finalise and the SMT
    and weekly reports of those weeks are stored as they would have been sent. Its own
    random stream, so the replay after it is unchanged."""
    rng = random.Random(EARLIER_SEED)
    end = ctx.now() - timedelta(days=HISTORY_DAYS)
    start = end - timedelta(weeks=EARLIER_WEEKS)
    clock = FixedClock(start)
    next_cron = start + timedelta(hours=1)

    def as_(login: str) -> Context:
        return replace(ctx, clock=clock, user=login)

    def at(when) -> None:
        nonlocal next_cron
        when = min(when, end)
        while next_cron <= when:
            clock.set(next_cron)
            tick(as_("system"))
            next_cron += timedelta(days=1)
        clock.set(when)

    # The canonical caseload and its notes so far (the care leavers' Annex A list comes later).
    earlier_notes = paths["notes"].with_name("notes-before-the-trend.csv")
    cutoff = today(clock).isoformat()
    with paths["caseload"].open(encoding="utf-8") as fh:
        known = {r["child_id"] for r in csv.DictReader(fh)}
    with paths["notes"].open(encoding="utf-8") as src, \
            earlier_notes.open("w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.DictReader(src), csv.DictWriter(dst, fieldnames=NOTE_COLUMNS)
        writer.writeheader()
        writer.writerows(r for r in reader if r["date"] < cutoff and r["child_id"] in known)
    import_people(as_(DEMO_ADMIN), paths["people"])  # bootstrap: the first import makes the directory
    import_caseload(as_(DEMO_ADMIN), paths["caseload"])
    import_notes(as_(DEMO_ADMIN), earlier_notes)
    submitted: list[tuple[object, Context]] = []
    reviews: list[tuple] = []  # (when, action_id, outcome)
    for week in range(EARLIER_WEEKS):
        monday = start + timedelta(weeks=week)
        at(monday + timedelta(hours=1))
        sample = draw_sample(as_(DEMO_USER), seed=EARLIER_SEED + week, teams=EARLIER_TEAMS[week],
                             auditors=_auditors())
        items = sorted(queue.of_sample(ctx.store, sample.sample_id), key=lambda q: q["queue_id"])
        for i, item in enumerate(items):
            # Through the working week: Monday to Friday, 09:00 to 17:00 London, roughly.
            day, hour = divmod(i * 40 // max(len(items), 1), 8)
            at(monday + timedelta(days=day, hours=2 + hour, minutes=rng.randint(0, 50)))
            auditor = as_(item["auditor"])
            audit = start_audit(auditor, str(item["queue_id"]))
            fill_audit(auditor, audit.audit_id, _fill_data(audit, rng, ctx.settings))
            done = submit_audit(auditor, audit.audit_id)
            submitted.append((done, auditor))
            review_at = clock.now() + timedelta(days=ctx.settings.workflow.review_after_days, hours=2)
            for action in done.actions:
                roll = rng.random()
                if roll < 0.06:
                    continue  # not reviewed yet: open, and overdue once its date passes
                outcome = "completed" if roll < 0.8 else ("not_needed" if roll < 0.9 else "not_completed")
                reviews.append((review_at + timedelta(minutes=len(reviews)), action.action_id, outcome))
            if rng.random() < 0.2:
                at(clock.now() + timedelta(hours=1))
                esc = escalation.escalate(auditor, done.audit_id, rng.choice(ESCALATION_CONCERNS),
                                          phoned="reached")
                at(clock.now() + timedelta(hours=4))
                escalation.respond(as_(done.manager), esc.escalation_id,
                                   "Visited today; a safety plan is agreed with the family.")
                at(clock.now() + timedelta(days=1))
                escalation.close(auditor, esc.escalation_id, "Safety plan in place and reviewed.")
        # The PDT's reviews that have fallen due by the end of this week.
        week_end = monday + timedelta(weeks=1)
        for when, action_id, outcome in sorted(r for r in reviews if r[0] < min(week_end, end)):
            at(when)
            new_due = suggest_new_due(as_(DEMO_PDT)) if outcome == "not_completed" else None
            review_action(as_(DEMO_PDT), action_id, outcome, new_due=new_due,
                          note="Checked on the child's record.")
        reviews = [r for r in reviews if r[0] >= min(week_end, end)]
    at(end)
    return {"earlier_audits": len(submitted)}


ESCALATION_CONCERNS = [
    "A new adult in the household has not been assessed.",
    "The child was not seen during the last two planned virtual visits.",
    "School reports unexplained bruising; no strategy discussion recorded.",
]
