"""The queue screen's sort and the queue read behind it, held to what they replaced, over
random items (hypothesis): ``sort_items`` (a key straight from the items when no item
lacks the value) orders as ``sort_key`` does, either way round; ``list_queue`` (tuples
of the item's fields) gives the items ``QueueItem.from_row`` made of ``SELECT *`` rows."""

from __future__ import annotations

from dataclasses import fields

from conftest import add_people
from factories import add_child
from hypothesis import given, settings
from hypothesis import strategies as st

from core.queue import list_queue
from core.read_models import QUEUE_ITEM_FIELDS, QueueItem
from core.sampling import draw_sample
from tui.screens.queue import COLUMN_KEYS, sort_items, sort_key

texts = st.one_of(st.none(), st.text(alphabet="abAB é0", max_size=3))


@st.composite
def items(draw) -> list[QueueItem]:
    n = draw(st.integers(0, 30))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    return [QueueItem(queue_id=qid, sample_id=draw(st.integers(1, 3)), child_id=draw(st.text("C12", min_size=1, max_size=3)),
                      worker=draw(texts), team=draw(texts), tier=draw(st.integers(1, 3)),
                      cohort=draw(st.sampled_from(["random", "tier1"])), auditor=draw(texts), claimed_by=draw(texts),
                      claimed_at=draw(texts), status=draw(st.sampled_from(["queued", "claimed", "in_progress"])),
                      audit_id=draw(st.one_of(st.none(), st.integers(1, 50))))
            for qid in ids]


@settings(max_examples=300, deadline=None)
@given(items(), st.sampled_from(COLUMN_KEYS), st.booleans())
def test_sort_items_orders_as_sort_key(queue, column, reverse):
    expected = sorted(queue, key=sort_key(column), reverse=reverse)
    got = list(queue)
    sort_items(got, column, reverse=reverse)
    assert [i.queue_id for i in got] == [i.queue_id for i in expected]


def test_the_fields_are_the_columns_the_read_names():
    assert QUEUE_ITEM_FIELDS == tuple(f.name for f in fields(QueueItem))


def test_list_queue_gives_the_items_from_row_made(ctx):
    """The read as it was: ``SELECT *`` rows (dicts) made into items, in the SQL's order."""
    add_people(ctx, [{"login": "admin1", "roles": ["admin"]}, {"login": "aud1", "roles": ["auditor"]}])
    for n in range(12):
        add_child(ctx, f"C{n:02}", worker=f"w{n % 4}" if n % 5 else None, cohort=["cp", "cla", "cin"][n % 3],
                  team=None if n % 7 == 3 else f"Team {n % 3}")
    draw_sample(ctx, seed=3)
    with ctx.tx() as tx:
        tx.execute("UPDATE queue_items SET status = 'claimed', claimed_by = 'aud1', claimed_at = '2020-04-27T09:00:00Z'"
                   " WHERE queue_id % 3 = 0")
        tx.execute("UPDATE queue_items SET status = 'done' WHERE queue_id % 4 = 1")
        tx.execute("UPDATE queue_items SET auditor = 'aud1' WHERE queue_id % 5 = 2")
    order = " ORDER BY tier, team, worker, child_id, queue_id"
    cases = [({}, "SELECT * FROM queue_items WHERE status IN ('queued', 'claimed', 'in_progress')" + order),
             ({"include_done": True}, "SELECT * FROM queue_items" + order),
             ({"status": "claimed"}, "SELECT * FROM queue_items WHERE status = 'claimed'" + order),
             ({"auditor": "aud1"}, "SELECT * FROM queue_items WHERE status IN ('queued', 'claimed', 'in_progress')"
                                   " AND (auditor = 'aud1' OR claimed_by = 'aud1')" + order)]
    for kwargs, sql in cases:
        expected = [QueueItem.from_row(r) for r in ctx.store.query(sql)]
        assert expected  # each case reads some items
        assert list_queue(ctx, **kwargs) == expected
