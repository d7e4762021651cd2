"""`calendar-audit sync` end to end against a fake Graph: summary, exit 3 naming the failed mailbox, no secret."""

from __future__ import annotations

import io
from datetime import date

import respx
from graph_fake import FakeGraph
from rich.console import Console
from test_graph import AMY, BEN, SECRET, week_of_events

from calendar_audit.cli import main
from calendar_audit.commands.options import Context


def test_sync_command_exits_3_naming_the_inaccessible_mailbox(tmp_path):
    config = tmp_path / "calendar-audit.toml"
    config.write_text(f"""
[graph]
tenant_id = "contoso-tenant"
client_id = "app-id"
client_secret = "{SECRET}"
[store]
path = "{tmp_path / 'store.sqlite3'}"
[[teams]]
name = "evolve"
members = ["{AMY}", "{BEN}"]
""")
    fake = FakeGraph(fail={BEN: (403, "ErrorAccessDenied")})
    week_of_events(fake, AMY, 3)
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 21), console=Console(file=out, width=200),
                  err=Console(file=err, width=200))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code = main(["sync", "--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"], ctx)
    assert code == 3
    assert "mailbox failed: ben.ode@council.gov.uk: HTTP 403 ErrorAccessDenied" in err.getvalue()
    assert "synced 1 mailboxes of team 'evolve' for 2026-10-19 to 2026-10-25: 3 events" in out.getvalue()
    assert SECRET not in out.getvalue() + err.getvalue()


def test_sync_names_a_missing_sign_in_setting_before_any_progress_bar(tmp_path):
    import io

    from rich.console import Console

    from calendar_audit.cli import main
    from calendar_audit.commands.options import Context

    config = tmp_path / "c.toml"
    config.write_text('[graph]\ntenant_id = "t"\nclient_id = "app"\n[[teams]]\nname = "t"\nmembers = ["a@b.c"]\n')
    out, err = io.StringIO(), io.StringIO()
    code = main(["sync", "--config", str(config)], Context(console=Console(file=out), err=Console(file=err)))
    assert code == 2
    assert err.getvalue().startswith("calendar-audit: error: graph: set certificate_path or client_secret")
    assert "syncing" not in err.getvalue()
