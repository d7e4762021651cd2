"""`calendar-audit serve` refuses what it must before anything listens."""

from __future__ import annotations

import io

from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context


def run(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    ctx = Context(console=Console(file=io.StringIO()), err=Console(file=err, width=200))
    return main(list(argv), ctx), err.getvalue()


def test_serve_demo_is_refused_when_a_tenant_is_configured(in_tmp):
    (in_tmp / "calendar-audit.toml").write_text('[graph]\ntenant_id = "contoso"\n', encoding="utf-8")
    code, err = run("serve", "--demo")
    assert code == 2
    assert "--demo: refused because graph.tenant_id is set (demo sign-in has no password)" in err


def test_serve_demo_listens_on_loopback_only(in_tmp):
    code, err = run("serve", "--demo", "--host", "0.0.0.0")
    assert code == 2
    assert "--host 0.0.0.0: the demo listens on 127.0.0.1 only" in err


def test_serve_without_a_team_or_sign_in_settings_says_what_to_set(in_tmp):
    code, err = run("serve")
    assert code == 2 and "teams: no team is configured (add a [[teams]] table), or try --demo" in err
    (in_tmp / "calendar-audit.toml").write_text('[[teams]]\nname = "evolve"\n', encoding="utf-8")
    code, err = run("serve")
    assert code == 2 and "graph" in err


def test_serve_has_help(in_tmp):
    code, _ = run("serve", "--help")
    assert code == 0
