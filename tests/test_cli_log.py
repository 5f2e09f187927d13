"""dipaudit log: the event trail, London time for people, UTC instants in JSON."""

import json

from click.testing import CliRunner

from tui.cli import cli


def test_log_shows_london_time_and_json_keeps_utc(ctx, db_path):
    with ctx.tx() as tx:  # 2020-04-27 09:00 UTC = 10:00 British Summer Time
        tx.event("queue_item", 7, "claimed", after={"status": "claimed"})
    runner = CliRunner()
    text = runner.invoke(cli, ["--db", str(db_path), "log"])
    assert text.exit_code == 0, text.output
    assert "Mon 27 Apr 2020 10:00  admin1  queue_item  7" in text.output
    data = json.loads(runner.invoke(cli, ["--db", str(db_path), "log", "--json"]).output)
    assert data[0]["at"] == "2020-04-27T09:00:00Z"
    assert data[0]["after"] == {"status": "claimed"}
