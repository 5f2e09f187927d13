"""The schema, and its migrations, in one place.

Each migration is registered in order with ``@migration`` (on ``MIGRATIONS``). A migration never
changes once released: add a new one. ``Store.open`` applies pending ones inside
a ``BEGIN IMMEDIATE`` so two processes opening an old file migrate it once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

APP_ID = "dipaudit"
MIGRATION_SET = "dipaudit"  # sqlite-utils' migration set, recorded per applied migration
MIGRATIONS_TABLE = "_sqlite_migrations"  # where sqlite-utils records them
# Every migration this version of dipaudit knows, in order (a file naming one not in
# here was written by a newer dipaudit).
MIGRATION_NAMES: list[str] = []
_FUNCTIONS: list = []
_MIGRATIONS: Migrations | None = None


def migration(fn):
    """Register ``fn`` as the next migration (by its function name)."""
    MIGRATION_NAMES.append(fn.__name__)
    _FUNCTIONS.append(fn)
    return fn


def __getattr__(name: str):
    """``MIGRATIONS``: the sqlite-utils ``Migrations`` of every registered migration, built
    (and sqlite-utils imported) when a file needs migrating, not on every open."""
    global _MIGRATIONS
    if name != "MIGRATIONS":
        raise AttributeError(name)
    if _MIGRATIONS is None:
        from sqlite_utils import Migrations

        built = Migrations(MIGRATION_SET)
        for fn in _FUNCTIONS:
            built()(fn)
        assert built.migrations_table == MIGRATIONS_TABLE
        _MIGRATIONS = built
    return _MIGRATIONS


@migration
def m001_foundation(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

        CREATE TABLE teams (
            name TEXT PRIMARY KEY,
            head_of_service TEXT
        );

        CREATE TABLE people (
            login TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '[]',      -- JSON list of role names
            team TEXT,
            email TEXT,
            teams_address TEXT,
            manager TEXT,                          -- login of the supervising manager
            head_of_service TEXT,                  -- login
            active INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT
        );
        CREATE INDEX people_name ON people(name COLLATE NOCASE);

        -- One row per child: derived from the child's list memberships below.
        CREATE TABLE children (
            child_id TEXT PRIMARY KEY,
            name TEXT,
            date_of_birth TEXT,
            expected_date_of_birth TEXT,
            cohort TEXT NOT NULL,                  -- unborn | cp | care_leaver | cla | cin
            tier INTEGER NOT NULL,
            worker TEXT,                           -- allocated worker as the extract names them
            worker_login TEXT,                     -- matched person, when known
            team TEXT,
            family_id TEXT,
            is_open INTEGER NOT NULL DEFAULT 1,
            closed_on TEXT,
            key_dates TEXT NOT NULL DEFAULT '{}',  -- JSON: cp_plan_start, date_looked_after, ...
            updated_at TEXT
        );
        CREATE INDEX children_open_worker ON children(is_open, worker);
        CREATE INDEX children_family ON children(family_id);

        -- Where a child came from: one row per (child, source list). A caseload
        -- import is a snapshot of the sources it contains.
        CREATE TABLE child_sources (
            child_id TEXT NOT NULL REFERENCES children(child_id),
            source TEXT NOT NULL,                  -- list6 | list7 | list8 | list9 | canonical
            cohort TEXT NOT NULL,
            name TEXT,
            date_of_birth TEXT,
            expected_date_of_birth TEXT,
            worker TEXT,
            team TEXT,
            family_id TEXT,
            ended_on TEXT,                         -- episode end (closure / plan end / ceased)
            present INTEGER NOT NULL DEFAULT 1,    -- in the latest extract of this source
            key_dates TEXT NOT NULL DEFAULT '{}',
            row_hash TEXT NOT NULL,
            updated_at TEXT,
            PRIMARY KEY (child_id, source)
        );

        CREATE TABLE case_notes (
            note_id INTEGER PRIMARY KEY,
            child_id TEXT NOT NULL,
            date TEXT NOT NULL,                    -- ISO date
            kind TEXT NOT NULL,                    -- covid | virtual_contact | communication | management_oversight | qa_audit | other
            type TEXT NOT NULL,                    -- the type as the case management system names it
            author TEXT,
            summary TEXT,
            note_key TEXT NOT NULL UNIQUE,         -- content hash: the same note imported twice is one note
            imported_at TEXT
        );
        CREATE INDEX case_notes_child_kind_date ON case_notes(child_id, kind, date);

        CREATE TABLE imports (
            import_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            counts TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TABLE samples (
            sample_id INTEGER PRIMARY KEY,
            seed INTEGER NOT NULL,
            params TEXT NOT NULL,                  -- JSON
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            population TEXT NOT NULL DEFAULT '{}', -- JSON: eligible children per tier, excluded per reason
            log TEXT NOT NULL DEFAULT '[]',        -- JSON: every child considered, picked or excluded, with the reason
            unfilled TEXT NOT NULL DEFAULT '[]'    -- JSON: workers with no eligible child, with the reason
        );

        CREATE TABLE queue_items (
            queue_id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(sample_id),
            child_id TEXT NOT NULL REFERENCES children(child_id),
            worker TEXT,
            team TEXT,
            tier INTEGER NOT NULL,
            cohort TEXT NOT NULL,
            reason TEXT,
            auditor TEXT,                          -- assigned auditor (round-robin at draw)
            claimed_by TEXT,
            claimed_at TEXT,
            status TEXT NOT NULL DEFAULT 'queued', -- queued | claimed | in_progress | done | cancelled
            audit_id INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- A child is in at most one live queue item: two draws, or two auditors, can never hold the same child.
        CREATE UNIQUE INDEX queue_items_one_live_per_child ON queue_items(child_id)
            WHERE status IN ('queued', 'claimed', 'in_progress');
        CREATE INDEX queue_items_status ON queue_items(status);

        -- The append-only event trail: who did what, when, before and after.
        CREATE TABLE events (
            event_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            os_login TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT,
            action TEXT NOT NULL,
            before TEXT,
            after TEXT
        );
        CREATE INDEX events_entity ON events(entity, entity_id);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event trail is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event trail is append-only'); END;

        -- Notifications to send, written in the same transaction as their cause.
        CREATE TABLE outbox (
            outbox_id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            recipient TEXT NOT NULL,               -- login in the people directory
            recipient_role TEXT,                   -- worker | manager | auditor | pdt | head_of_service | smt | director
            template TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',    -- JSON
            entity TEXT,
            entity_id TEXT,
            idempotency_key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending',-- pending | sent | failed (will retry) | dead (gave up)
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT
        );
        CREATE INDEX outbox_status ON outbox(status, next_attempt_at);
        """
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('app', ?)", [APP_ID])


# --- m002: audits, programmes, ratings, actions (issue 3) ---------------------
@migration
def m002_audits(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE audits (
            audit_id INTEGER PRIMARY KEY,
            queue_id INTEGER REFERENCES queue_items(queue_id),
            child_id TEXT NOT NULL REFERENCES children(child_id),
            auditor TEXT NOT NULL,
            programme_id TEXT NOT NULL,
            programme_version TEXT NOT NULL,
            programme TEXT NOT NULL,               -- JSON snapshot of the programme as used: editing it never changes this audit
            status TEXT NOT NULL DEFAULT 'draft',  -- draft | submitted | queried | finalised
            worker TEXT,                           -- snapshot at start: allocated worker (login when known)
            manager TEXT,                          -- supervising manager login
            team TEXT,
            audit_date TEXT NOT NULL,              -- ISO date (London) the audit was started
            started_at TEXT NOT NULL,
            submitted_at TEXT,
            finalised_at TEXT,
            finalised_by TEXT,
            review_due_at TEXT,                    -- PDT action review: submitted + 14 days
            overview TEXT NOT NULL DEFAULT '',
            positive_practice TEXT NOT NULL DEFAULT '',
            prechecks TEXT NOT NULL DEFAULT '{}',  -- JSON: standard id -> {rating, evidence}, with computed_at
            version INTEGER NOT NULL DEFAULT 1,    -- optimistic concurrency: every save bumps it
            updated_at TEXT NOT NULL,
            updated_by TEXT NOT NULL
        );
        CREATE UNIQUE INDEX audits_one_draft_per_child ON audits(child_id) WHERE status = 'draft';
        CREATE INDEX audits_status ON audits(status);
        CREATE INDEX audits_child_submitted ON audits(child_id, submitted_at);

        CREATE TABLE ratings (
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            standard_id TEXT NOT NULL,
            rating TEXT,                           -- met | partly_met | not_met | not_applicable
            evidence TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (audit_id, standard_id)
        );

        CREATE TABLE actions (
            action_id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            position INTEGER NOT NULL DEFAULT 0,
            owner_role TEXT NOT NULL,              -- worker | manager
            owner TEXT,                            -- login
            description TEXT NOT NULL DEFAULT '',
            due TEXT,                              -- ISO date
            status TEXT NOT NULL DEFAULT 'open',   -- open | completed | not_completed | not_needed
            review_due_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX actions_audit ON actions(audit_id);
        CREATE INDEX actions_status_due ON actions(status, due);
        """
    )


# --- m003: comments, escalations, action reviews (issue 4) --------------------
@migration
def m003_after_submission(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE comments (
            comment_id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            author TEXT NOT NULL,                  -- who it is from (worker / manager login)
            recorded_by TEXT NOT NULL,             -- who typed it (an auditor on their behalf)
            text TEXT NOT NULL,
            is_query INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'noted',  -- noted | open (a query) | resolved
            created_at TEXT NOT NULL,
            resolved_at TEXT,
            resolved_by TEXT,
            resolution TEXT
        );
        CREATE INDEX comments_audit ON comments(audit_id);

        CREATE TABLE addenda (
            addendum_id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );

        CREATE TABLE escalations (
            escalation_id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            child_id TEXT NOT NULL,
            level TEXT NOT NULL DEFAULT 'manager', -- manager | head_of_service
            status TEXT NOT NULL DEFAULT 'open',   -- open | responded | closed
            concern TEXT NOT NULL,
            raised_by TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            recipient TEXT,                        -- login of who must respond now
            phoned TEXT,                           -- reached | no-answer | NULL
            respond_by TEXT,
            responded_at TEXT,
            response TEXT,
            referred_at TEXT,                      -- when it went to the Head of Service
            overdue_at TEXT,                       -- when tick flagged it overdue
            closed_at TEXT,
            closed_by TEXT,
            outcome TEXT
        );
        CREATE INDEX escalations_status ON escalations(status, respond_by);

        CREATE TABLE escalation_steps (
            step_id INTEGER PRIMARY KEY,
            escalation_id INTEGER NOT NULL REFERENCES escalations(escalation_id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            kind TEXT NOT NULL,                    -- raised | phoned | emailed | responded | overdue | referred | closed
            recipient TEXT,                        -- login the step was addressed to (phoned, emailed, referred)
            text TEXT
        );
        CREATE INDEX escalation_steps_escalation ON escalation_steps(escalation_id, step_id);

        CREATE TABLE action_reviews (
            review_id INTEGER PRIMARY KEY,
            action_id INTEGER NOT NULL REFERENCES actions(action_id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            outcome TEXT NOT NULL,                 -- completed | not_completed | not_needed
            new_due TEXT,
            note TEXT
        );
        CREATE INDEX action_reviews_action ON action_reviews(action_id, review_id);
        CREATE INDEX comments_open_queries ON comments(audit_id, status);
        """
    )


# --- m004: reports (issue 8) -------------------------------------------------------------
@migration
def m004_reports(db: Database) -> None:
    db.executescript(
        """
        -- Every report built for sending, stored as sent so it can be shown again exactly.
        CREATE TABLE reports (
            report_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                    -- smt | weekly
            slot TEXT,                             -- the scheduled slot it was sent for; NULL when sent by hand
            period_from TEXT NOT NULL,             -- [period_from, period_to), UTC ISO
            period_to TEXT NOT NULL,
            generated_at TEXT NOT NULL,            -- "as at"
            generated_by TEXT NOT NULL,
            trigger TEXT NOT NULL,                 -- schedule | hand
            recipients TEXT NOT NULL DEFAULT '[]', -- JSON list of logins
            content_hash TEXT NOT NULL,            -- sha256 of the model JSON
            model TEXT NOT NULL,                   -- the report model as JSON
            renders TEXT NOT NULL DEFAULT '{}'     -- JSON: format -> the text as sent
        );
        -- One report per scheduled slot: two ticks at once never send a slot twice.
        CREATE UNIQUE INDEX reports_one_per_slot ON reports(kind, slot) WHERE slot IS NOT NULL;
        CREATE INDEX reports_generated ON reports(generated_at);

        -- The reports' aggregate queries read these indexes only (they cover the columns
        -- used), never the wide audit rows (each holds its programme snapshot).
        CREATE INDEX audits_period ON audits(submitted_at, team, worker, auditor, programme_id, programme_version);
        CREATE INDEX audits_facts ON audits(audit_id, submitted_at, team, worker, review_due_at);
        CREATE INDEX ratings_report ON ratings(audit_id, standard_id, rating);
        CREATE INDEX actions_open ON actions(status, audit_id, due, review_due_at);
        CREATE INDEX action_reviews_at ON action_reviews(at, outcome, action_id);
        CREATE INDEX action_reviews_outcome ON action_reviews(outcome, action_id, review_id);
        CREATE INDEX action_reviews_nc ON action_reviews(action_id, outcome, at, review_id, new_due);
        CREATE INDEX escalations_raised ON escalations(raised_at);
        CREATE INDEX queue_items_created ON queue_items(created_at, auditor);
        """
    )


# --- m005: the people directory as a snapshot (issue 9: identity, leavers) -----------
@migration
def m005_people_directory(db: Database) -> None:
    """``os_login``: the OS login that acts as this person (default: their login; NULL
    in rows written before, or by other writers, means the same). ``left_at``: when
    a newer people import no longer listed them (``active`` 0, roles cleared); NULL
    while they are in the directory. One active person per OS login."""
    db.executescript(
        """
        ALTER TABLE people ADD COLUMN os_login TEXT;
        ALTER TABLE people ADD COLUMN left_at TEXT;
        UPDATE people SET os_login = login WHERE os_login IS NULL;
        CREATE UNIQUE INDEX people_active_os_login ON people(COALESCE(os_login, login)) WHERE active = 1;
        """
    )


# --- m006: the tamper-evident trail, the scheduler's watch (issue 9) -----------------------
@migration
def m006_trail(db: Database) -> None:
    """Chain every event to the one before it (``events.hash``, backfilled here), keep the
    trail's checkpoints and the scheduler's runs."""
    from .events import GENESIS, link  # the one definition of a link, shared with the writer

    db.execute("ALTER TABLE events ADD COLUMN hash TEXT")
    # The trail is append-only (m001's triggers): lifted for the backfill alone, in this
    # migration's transaction, so no other writer ever sees it unguarded.
    db.execute("DROP TRIGGER events_no_update")
    prev, rows = GENESIS, []
    for row in db.execute("SELECT event_id, at, actor, os_login, entity, entity_id, action, before, after"
                          " FROM events ORDER BY event_id"):
        prev = link(prev, row)
        rows.append((prev, row[0]))
    db.conn.executemany("UPDATE events SET hash = ? WHERE event_id = ?", rows)
    db.executescript(
        """
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event trail is append-only'); END;
        CREATE TRIGGER events_need_hash BEFORE INSERT ON events WHEN NEW.hash IS NULL
            BEGIN SELECT RAISE(ABORT, 'an event needs its link in the trail: write it through dipaudit'); END;

        -- The head of the trail as a verification found it: a later check starts here,
        -- and an event missing at or before it means the newest rows were cut off.
        CREATE TABLE trail_checkpoints (
            checkpoint_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            event_id INTEGER NOT NULL,             -- the newest event verified
            hash TEXT NOT NULL,                    -- its link
            verified INTEGER NOT NULL,             -- events this check verified
            whole INTEGER NOT NULL DEFAULT 0,      -- 1: it verified the whole chain, not just what was new
            os_login TEXT NOT NULL
        );

        -- Each scheduler run (dipaudit tick, the TUI's timer), the newest few hundred of each kind.
        CREATE TABLE scheduler_runs (
            run_id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            os_login TEXT NOT NULL,
            delivered INTEGER NOT NULL,            -- 1: it delivered the outbox (dipaudit tick)
            sent INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            dead INTEGER NOT NULL DEFAULT 0,
            trail TEXT                             -- NULL: intact; else the problem found
        );
        CREATE INDEX scheduler_runs_kind ON scheduler_runs(delivered, run_id);
        """
    )


# --- m007: indexes for the draw, the tick and the reports at scale (issue 10) ----------
@migration
def m007_speed(db: Database) -> None:
    """Indexes so that what runs often reads only what it needs: a draw reads the recent
    QA Audit case notes, not every note."""
    db.executescript(
        """
        -- A draw's recent audits (store.audits.last_audited since a date).
        CREATE INDEX case_notes_kind_date ON case_notes(kind, date, child_id);
        """
    )


# --- m008: a tick that reads only what is due, at any size (issue 10 item 3) ----------
@migration
def m008_tick(db: Database) -> None:
    """What the scheduler looks at every minute, kept small by partial indexes over
    what is still pending (not over the whole history):

    - audits in their comment window (``status = 'submitted'``) by submission time;
    - open actions whose audit's review alert has not gone (``review_flagged_at``, set
      with the audit's 'review_due' event, which stays the proof);
    - open, owned actions not yet sent the overdue notice for their due date
      (``notified``: the last notice queued, 'reminder:DATE' or 'overdue:DATE'; the
      outbox idempotency key stays the proof);
    - open escalations not yet flagged overdue, by respond-by.

    Existing rows are marked from the trail and the outbox."""
    db.executescript(
        """
        ALTER TABLE actions ADD COLUMN review_flagged_at TEXT;
        ALTER TABLE actions ADD COLUMN notified TEXT;
        UPDATE actions SET review_flagged_at = (
            SELECT min(e.at) FROM events e WHERE e.entity = 'audit'
               AND e.entity_id = CAST(actions.audit_id AS TEXT) AND e.action = 'review_due');
        UPDATE actions SET notified = CASE
            WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = 'action:' || actions.action_id
                         || ':overdue:' || actions.due) THEN 'overdue:' || due
            WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = 'action:' || actions.action_id
                         || ':reminder:' || actions.due) THEN 'reminder:' || due
            END
         WHERE owner IS NOT NULL;
        CREATE INDEX audits_in_window ON audits(submitted_at) WHERE status = 'submitted';
        CREATE INDEX actions_review_unflagged ON actions(audit_id)
            WHERE status = 'open' AND review_flagged_at IS NULL;
        CREATE INDEX actions_to_notify ON actions(due)
            WHERE status = 'open' AND owner IS NOT NULL AND notified IS NOT ('overdue:' || due);
        CREATE INDEX escalations_overdue_unflagged ON escalations(respond_by)
            WHERE status = 'open' AND overdue_at IS NULL;
        """
    )


# --- m009: per-audit summaries, ratings by submission time (issue 10 item 6, issue 8 item 9) ---
# An audit's summary, recounted from its ratings (the reports' own definitions): standards
# met; standards rated (not applicable left out); misses, ratings blank or neither met nor
# not applicable. An audit with no ratings has one miss (never "every standard met"), as
# the reports' LEFT JOIN of audits to ratings counted it.
_SUMMARY = """UPDATE audits SET (met, rated, misses) = (
        SELECT COALESCE(SUM(rt.rating = 'met'), 0),
               COALESCE(SUM(rt.rating IN ('met', 'partly_met', 'not_met')), 0),
               COALESCE(SUM(rt.rating IS NULL OR rt.rating NOT IN ('met', 'not_applicable')), 1)
          FROM ratings rt WHERE rt.audit_id = audits.audit_id)"""
# An audit's actions counted (the actions raised on it).
_ACTIONS = "UPDATE audits SET n_actions = (SELECT COUNT(*) FROM actions ac WHERE ac.audit_id = audits.audit_id)"


@migration
def m009_audit_summaries(db: Database) -> None:
    """A report over every audit read two passes over every rating; now it reads one row
    per audit and one index entry per rating, in time order:

    - ``audits.met``, ``audits.rated``, ``audits.misses``: the audit's ratings counted
      (``_SUMMARY``), kept equal to its ratings by triggers on every insert, change
      and delete of a rating, whoever writes it (a fill, an amendment, a script);
      ``audits.n_actions``: its actions counted, kept the same way;
    - ``ratings.submitted_at``: its audit's submission time, kept equal by a trigger on
      the audit's ``submitted_at`` (and on a rating inserted into a submitted audit);
    - ``audits_period`` again, now covering the summary, and ``ratings_period``: a
      submitted audit's ratings by (standard, rating, submission time). ``ratings_report`` (the
      ratings by audit) is dropped: nothing reads it any more.

    Existing audits and ratings are backfilled here."""
    db.executescript(
        f"""
        ALTER TABLE audits ADD COLUMN met INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE audits ADD COLUMN rated INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE audits ADD COLUMN misses INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE audits ADD COLUMN n_actions INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ratings ADD COLUMN submitted_at TEXT;
        {_SUMMARY};
        {_ACTIONS};
        UPDATE ratings SET submitted_at = (SELECT a.submitted_at FROM audits a WHERE a.audit_id = ratings.audit_id);

        CREATE TRIGGER ratings_summary_insert AFTER INSERT ON ratings BEGIN
            UPDATE ratings SET submitted_at = (SELECT a.submitted_at FROM audits a WHERE a.audit_id = NEW.audit_id)
             WHERE audit_id = NEW.audit_id AND standard_id = NEW.standard_id
               AND EXISTS (SELECT 1 FROM audits a WHERE a.audit_id = NEW.audit_id AND a.submitted_at IS NOT NULL);
            {_SUMMARY} WHERE audit_id = NEW.audit_id;
        END;
        CREATE TRIGGER ratings_summary_update AFTER UPDATE OF rating, audit_id ON ratings BEGIN
            {_SUMMARY} WHERE audit_id = NEW.audit_id;
            {_SUMMARY} WHERE audit_id = OLD.audit_id AND OLD.audit_id IS NOT NEW.audit_id;
            UPDATE ratings SET submitted_at = (SELECT a.submitted_at FROM audits a WHERE a.audit_id = NEW.audit_id)
             WHERE OLD.audit_id IS NOT NEW.audit_id AND audit_id = NEW.audit_id AND standard_id = NEW.standard_id;
        END;
        CREATE TRIGGER ratings_summary_delete AFTER DELETE ON ratings BEGIN
            {_SUMMARY} WHERE audit_id = OLD.audit_id;
        END;
        CREATE TRIGGER actions_count_insert AFTER INSERT ON actions BEGIN
            {_ACTIONS} WHERE audit_id = NEW.audit_id;
        END;
        CREATE TRIGGER actions_count_update AFTER UPDATE OF audit_id ON actions BEGIN
            {_ACTIONS} WHERE audit_id IN (NEW.audit_id, OLD.audit_id);
        END;
        CREATE TRIGGER actions_count_delete AFTER DELETE ON actions BEGIN
            {_ACTIONS} WHERE audit_id = OLD.audit_id;
        END;
        CREATE TRIGGER audits_submitted_ratings AFTER UPDATE OF submitted_at ON audits
            WHEN NEW.submitted_at IS NOT OLD.submitted_at BEGIN
            UPDATE ratings SET submitted_at = NEW.submitted_at WHERE audit_id = NEW.audit_id;
        END;

        DROP INDEX audits_period;
        CREATE INDEX audits_period ON audits(submitted_at, team, worker, auditor, programme_id, programme_version,
                                             met, rated, misses, n_actions);
        CREATE INDEX ratings_period ON ratings(standard_id, rating, submitted_at) WHERE submitted_at IS NOT NULL;
        DROP INDEX ratings_report;
        """
    )


# --- m009b: each programme snapshot stored once (issue 10 item 6: the database's size) ----
@migration
def m009b_programme_snapshots(db: Database) -> None:
    """An audit kept its programme snapshot (~2.5 KB of JSON) in its own row: a third of
    the database. Each snapshot is now stored once in ``programme_snapshots``, keyed by
    the sha256 of its canonical JSON (``store.audits.canonical_programme``); an audit keeps
    ``programme_id``/``programme_version`` and ``programme_sha``, and reads its snapshot
    through ``store.audits`` (``get``, ``programme_json``). Existing snapshots are moved
    here and ``audits.programme`` dropped (the space it held is reused by later rows; a
    VACUUM gives it back to the disk)."""
    from .audits import canonical_programme  # the one definition, shared with the writer

    db.executescript(
        """
        CREATE TABLE programme_snapshots (
            sha256 TEXT PRIMARY KEY,               -- of the canonical JSON below
            programme TEXT NOT NULL                -- JSON snapshot of a programme as used: editing it never changes an audit
        );
        ALTER TABLE audits ADD COLUMN programme_sha TEXT REFERENCES programme_snapshots(sha256);
        """
    )
    for (text,) in db.execute("SELECT DISTINCT programme FROM audits").fetchall():
        canon, sha = canonical_programme(text)
        db.execute("INSERT OR IGNORE INTO programme_snapshots (sha256, programme) VALUES (?, ?)", [sha, canon])
        db.execute("UPDATE audits SET programme_sha = ? WHERE programme = ?", [sha, text])
    db.execute("ALTER TABLE audits DROP COLUMN programme")


# --- m011: ratings keyed by (audit, standard), times as integers (issue 10 item 6: size) --
# An audit's summary recounted from its stored ratings (as _SUMMARY, over rating_rows).
_SUMMARY_KEYED = _SUMMARY.replace("FROM ratings rt", "FROM rating_rows rt")
# Unix seconds of the audit's ``submitted_at`` (NULL while it has none): a rating's derived
# submission time. ``_UNIX_OF_NEW``: of the audit of the rating row ``NEW``.
_UNIX_OF_NEW = ("(SELECT CAST(strftime('%s', a.submitted_at) AS INTEGER) FROM audits a"
                " WHERE a.audit_id = NEW.audit_id)")


@migration
def m011_ratings_keyed(db: Database) -> None:
    """Ratings were a third of what an audit stores: each rating row kept its standard's
    id (a programme's text, ~17 characters) and its audit's submission time as ISO text,
    in the table, in its primary key index and again in ``ratings_period``. Now:

    - ``standard_keys(standard_key, standard_id)``: each standard id stored once;
    - ``rating_rows``: the ratings, ``WITHOUT ROWID`` keyed ``(audit_id, standard_key)``
      (the key is the table: no second copy of it), with ``submitted_unix``, its audit's
      ``submitted_at`` as Unix seconds (derived: the audit row keeps the time as ISO
      text, and the triggers keep this equal to it);
    - ``ratings``: a view over both with the columns the table had (``audit_id``,
      ``standard_id``, ``rating``, ``evidence``, ``submitted_at`` as ISO text), so every
      reader, and any writer (INSTEAD OF triggers), sees ratings as before;
    - ``ratings_period`` over ``rating_rows(standard_key, rating, submitted_unix)``;
      m009's triggers moved onto ``rating_rows`` unchanged in what they keep.

    Existing ratings are copied (the old table's pages are reused by later rows; a
    VACUUM gives them back to the disk)."""
    db.executescript(
        f"""
        DROP TRIGGER ratings_summary_insert;
        DROP TRIGGER ratings_summary_update;
        DROP TRIGGER ratings_summary_delete;
        DROP TRIGGER audits_submitted_ratings;

        CREATE TABLE standard_keys (
            standard_key INTEGER PRIMARY KEY,
            standard_id TEXT NOT NULL UNIQUE        -- a programme's standard id (covid_note, ...)
        );
        INSERT INTO standard_keys (standard_id) SELECT DISTINCT standard_id FROM ratings ORDER BY standard_id;

        CREATE TABLE rating_rows (
            audit_id INTEGER NOT NULL REFERENCES audits(audit_id),
            standard_key INTEGER NOT NULL REFERENCES standard_keys(standard_key),
            rating TEXT,                           -- met | partly_met | not_met | not_applicable
            evidence TEXT NOT NULL DEFAULT '',
            submitted_unix INTEGER,                -- its audit's submitted_at, Unix seconds (kept by triggers)
            PRIMARY KEY (audit_id, standard_key)
        ) WITHOUT ROWID;
        INSERT INTO rating_rows (audit_id, standard_key, rating, evidence, submitted_unix)
        SELECT rt.audit_id, k.standard_key, rt.rating, rt.evidence,
               (SELECT CAST(strftime('%s', a.submitted_at) AS INTEGER) FROM audits a WHERE a.audit_id = rt.audit_id)
          FROM ratings rt JOIN standard_keys k ON k.standard_id = rt.standard_id
         ORDER BY rt.audit_id, k.standard_key;
        DROP TABLE ratings;

        CREATE VIEW ratings (audit_id, standard_id, rating, evidence, submitted_at) AS
        SELECT r.audit_id, k.standard_id, r.rating, r.evidence,
               strftime('%Y-%m-%dT%H:%M:%SZ', r.submitted_unix, 'unixepoch')
          FROM rating_rows r JOIN standard_keys k ON k.standard_key = r.standard_key;
        CREATE TRIGGER ratings_insert INSTEAD OF INSERT ON ratings BEGIN
            INSERT OR IGNORE INTO standard_keys (standard_id) VALUES (NEW.standard_id);
            INSERT INTO rating_rows (audit_id, standard_key, rating, evidence)
            VALUES (NEW.audit_id, (SELECT standard_key FROM standard_keys WHERE standard_id = NEW.standard_id),
                    NEW.rating, COALESCE(NEW.evidence, ''));
        END;
        CREATE TRIGGER ratings_update INSTEAD OF UPDATE ON ratings BEGIN
            INSERT OR IGNORE INTO standard_keys (standard_id) VALUES (NEW.standard_id);
            UPDATE rating_rows
               SET audit_id = NEW.audit_id, rating = NEW.rating, evidence = NEW.evidence,
                   standard_key = (SELECT standard_key FROM standard_keys WHERE standard_id = NEW.standard_id)
             WHERE audit_id = OLD.audit_id
               AND standard_key = (SELECT standard_key FROM standard_keys WHERE standard_id = OLD.standard_id);
        END;
        CREATE TRIGGER ratings_delete INSTEAD OF DELETE ON ratings BEGIN
            DELETE FROM rating_rows WHERE audit_id = OLD.audit_id
               AND standard_key = (SELECT standard_key FROM standard_keys WHERE standard_id = OLD.standard_id);
        END;

        CREATE TRIGGER ratings_summary_insert AFTER INSERT ON rating_rows BEGIN
            UPDATE rating_rows SET submitted_unix = {_UNIX_OF_NEW}
             WHERE audit_id = NEW.audit_id AND standard_key = NEW.standard_key
               AND submitted_unix IS NOT {_UNIX_OF_NEW};
            {_SUMMARY_KEYED} WHERE audit_id = NEW.audit_id;
        END;
        CREATE TRIGGER ratings_summary_update AFTER UPDATE OF rating, audit_id ON rating_rows BEGIN
            {_SUMMARY_KEYED} WHERE audit_id = NEW.audit_id;
            {_SUMMARY_KEYED} WHERE audit_id = OLD.audit_id AND OLD.audit_id IS NOT NEW.audit_id;
            UPDATE rating_rows SET submitted_unix = {_UNIX_OF_NEW}
             WHERE OLD.audit_id IS NOT NEW.audit_id AND audit_id = NEW.audit_id AND standard_key = NEW.standard_key;
        END;
        CREATE TRIGGER ratings_summary_delete AFTER DELETE ON rating_rows BEGIN
            {_SUMMARY_KEYED} WHERE audit_id = OLD.audit_id;
        END;
        CREATE TRIGGER audits_submitted_ratings AFTER UPDATE OF submitted_at ON audits
            WHEN NEW.submitted_at IS NOT OLD.submitted_at BEGIN
            UPDATE rating_rows SET submitted_unix = CAST(strftime('%s', NEW.submitted_at) AS INTEGER)
             WHERE audit_id = NEW.audit_id;
        END;

        CREATE INDEX ratings_period ON rating_rows(standard_key, rating, submitted_unix)
            WHERE submitted_unix IS NOT NULL;
        """
    )


# --- m011b: the reports' action indexes over what they read (issue 10 item 6: size) ------
@migration
def m011b_report_indexes(db: Database) -> None:
    """Two of the reports' covering indexes (m004) held an entry for every action and
    every review though the reports read a small part of them: the open actions, and the
    reviews recording an action not completed. Each is now the same index over that part
    alone (the column it is limited by stays in it, so it still covers the query):

    - ``actions_open_now(status, audit_id, due, review_due_at) WHERE status = 'open'``
      for ``actions_open``;
    - ``action_reviews_not_completed(action_id, outcome, at, review_id, new_due) WHERE
      outcome = 'not_completed'`` for ``action_reviews_nc`` (the same columns) and
      ``action_reviews_outcome(outcome, action_id, review_id)``."""
    db.executescript(
        """
        CREATE INDEX actions_open_now ON actions(status, audit_id, due, review_due_at) WHERE status = 'open';
        CREATE INDEX action_reviews_not_completed ON action_reviews(action_id, outcome, at, review_id, new_due)
            WHERE outcome = 'not_completed';
        DROP INDEX actions_open;
        DROP INDEX action_reviews_outcome;
        DROP INDEX action_reviews_nc;
        """
    )


# --- m011c: stored reports' renderings compressed (issue 10 item 6: size) ----------------
@migration
def m011c_report_renders(db: Database) -> None:
    """A stored report kept every rendering as sent (txt, md, html, csv) as JSON text:
    an SMT report over 2,000 workers is ~2 MB of it, a hundred and fifty reports a year.
    ``reports.renders`` now holds that JSON compressed (``store.reports.pack_renders``,
    ~25 times smaller); the model stays text (``content_hash`` is its sha256). Existing
    reports are compressed here, each reading back exactly as before."""
    from .reports import pack_renders, unpack_renders  # the one definition, shared with the writer

    rows = db.execute("SELECT report_id, renders FROM reports WHERE typeof(renders) = 'text'").fetchall()
    db.conn.executemany("UPDATE reports SET renders = ? WHERE report_id = ?",
                        [(pack_renders(unpack_renders(text)), rid) for rid, text in rows])


# --- m012: the scheduler's idempotency keys in id order (issue 10 item 3) ------------------
@migration
def m012_tick_keys(db: Database) -> None:
    """The keys of the notices the scheduler writes by the thousand (an audit finalised, its
    PDT review due, an action's reminder and overdue notice: ``outbox.TICK_KEYS``) name
    the audit or action by its id zero-padded to ten digits (``outbox.tick_key``), so a
    catch-up over neighbouring ids writes neighbouring entries of the key index, not a page
    of it each. Keys already in the outbox are converted here (``outbox.padded_key``, the one
    definition, shared with the writer), so a notice sent before the upgrade is still
    recognised and never sent again; every other key stays as it is."""
    from .outbox import padded_key

    rows = db.execute("SELECT outbox_id, idempotency_key FROM outbox"
                      " WHERE idempotency_key GLOB 'audit:[0-9]*' OR idempotency_key GLOB 'action:[0-9]*'").fetchall()
    db.conn.executemany("UPDATE outbox SET idempotency_key = ? WHERE outbox_id = ?",
                        [(new, outbox_id) for outbox_id, key in rows if (new := padded_key(key)) != key])


# --- m013r: the reports' groupings read in their own order (issue 10: a report over every audit) --
@migration
def m013r_report_groupings(db: Database) -> None:
    """A report over most of the audits grouped them in temporary B-trees: the submitted
    audits by (team, worker), by programme version and by auditor, and the drawn
    children by auditor, each a sort of every row in the period (a fifth of a second
    for 100,000 audits). These indexes hold them in those orders, so such a grouping is
    read in order and never sorted (``store.reports``):

    - ``audits_by_worker(team, worker, submitted_at, misses, met, rated, n_actions)``
      over submitted audits: the per-worker figures, read in full when the period holds
      most of the audits (a short period still reads ``audits_period``);
    - ``audits_by_programme(programme_id, programme_version, submitted_at)`` and
      ``audits_by_auditor(auditor, submitted_at)`` over submitted audits, and
      ``queue_items_by_auditor(auditor, created_at)``: one range per programme version
      or auditor (a few of each), found by stepping from one key to the next."""
    db.executescript(
        """
        CREATE INDEX audits_by_worker ON audits(team, worker, submitted_at, misses, met, rated, n_actions)
            WHERE submitted_at IS NOT NULL;
        CREATE INDEX audits_by_programme ON audits(programme_id, programme_version, submitted_at)
            WHERE submitted_at IS NOT NULL;
        CREATE INDEX audits_by_auditor ON audits(auditor, submitted_at) WHERE submitted_at IS NOT NULL;
        CREATE INDEX queue_items_by_auditor ON queue_items(auditor, created_at);
        """
    )


# --- m014: an event's link required by a CHECK, not a trigger (issue 10: the catch-up) ---------
# The guard's name is what SQLite says when it refuses a row: "CHECK constraint failed: ...".
HASH_CHECK = ' CONSTRAINT "an event needs its link in the trail: write it through dipaudit" CHECK (hash IS NOT NULL)'


@migration
def m014_trail_hash_check(db: Database) -> None:
    """An event without its link (``events.hash``) is refused by a CHECK constraint on the
    column, no longer by the trigger ``events_need_hash`` (m006). Any row trigger on a
    table makes SQLite stage each many-row INSERT in a temporary table and run the
    trigger's program once a row: 6% of a catch-up tick's work, where a CHECK is one test
    in the insert itself.

    SQLite has no ALTER TABLE for a constraint; rebuilding the trail would copy every
    event. Its documented alternative for a change that leaves the stored format as it is
    (https://www.sqlite.org/lang_altertable.html#otheralter) is used instead: the table's
    CREATE statement in ``sqlite_master`` gains the CHECK, and the schema version is
    stepped on so every connection reads the new definition. A CHECK is tested only when a
    row is written, and no existing row needs it: m006 linked every event and its trigger
    refused any without a link since (events are never updated). Nothing else changes: no
    row, column or index; the trigger goes in the same transaction. A definition of the
    table not as m006 left it is left alone, with its trigger."""
    conn = db.conn
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").fetchone()
    # m006 added the column last: its definition ends the statement (``, hash TEXT)``). A
    # definition not as m006 left it is not edited on a guess: the trigger stays (slower, as safe).
    if not sql.rstrip().endswith(", hash TEXT)") or HASH_CHECK in sql:
        return
    checked = sql.rstrip()[:-1] + HASH_CHECK + ")"
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'events'", [checked])
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        # RESET: off, and this connection's schema read afresh too (the version stepped on
        # tells every other connection).
        conn.execute("PRAGMA writable_schema = RESET")
    conn.execute("DROP TRIGGER events_need_hash")


# --- m015: the outbox's index of what may still be sent, not of every row sent (issue 10) ---------
@migration
def m015_outbox_unsent(db: Database) -> None:
    """``outbox_unsent(status, next_attempt_at) WHERE status != 'sent'`` in place of
    ``outbox_status`` over every row. What the deliverer looks for (due, failed, dead) is
    among the rows not sent, a few among the many a year's use leaves; and a notice queued
    ('pending', due now) went into the full index just before the 'sent' rows, in the
    middle of the tree, where SQLite rebalances pages every few rows (a catch-up's 25,000
    notices: 4% of its work). In this index a new notice goes after the others pending,
    at its end. A query by status names ``status != 'sent'`` (``store.outbox``) so the
    planner may use it."""
    db.executescript(
        """
        DROP INDEX outbox_status;
        CREATE INDEX outbox_unsent ON outbox(status, next_attempt_at) WHERE status != 'sent';
        """
    )
