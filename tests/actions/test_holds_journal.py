"""`slots book --apply` journals each batch's intent before sending it; a rerun settles what an interruption left."""

from __future__ import annotations

from pathlib import Path

import httpx

from calendar_audit.actions import AuditLog
from tests.actions.test_holds import AMY, BEN, CARA, HoldsGraph, book, setup  # noqa: F401  (setup: fixture)


class LostReply(HoldsGraph):
    """Graph makes the batch's writes, but the run is interrupted before the reply arrives (Ctrl-C, a kill)."""

    def respond(self, request: httpx.Request) -> httpx.Response:
        response = super().respond(request)
        if request.url.path.endswith("$batch"):
            raise KeyboardInterrupt
        return response


def entries(tmp: Path) -> list[dict]:
    return AuditLog(tmp / "audit.jsonl").entries()


def test_an_interrupted_book_leaves_intents_and_the_rerun_records_what_was_created(setup: Path) -> None:  # noqa: F811
    fake = LostReply()
    code, _, err = book(setup, fake, "--apply")
    assert code == 130 and "interrupted" in err
    made = {p: len(fake.holds(p)) for p in (AMY, BEN, CARA)}
    assert made == {AMY: 4, BEN: 4, CARA: 4}  # Graph created them; no reply told us
    log = entries(setup)
    assert len(log) == 12 and {e["outcome"] for e in log} == {"intent"}  # written before the batch was sent
    assert {(e["mailbox"], e["action"]) for e in log} == {(p, "book_hold") for p in (AMY, BEN, CARA)}

    settled = HoldsGraph()
    settled.events = fake.events
    code, out, _ = book(setup, settled, "--apply")
    assert code == 0 and "0 to book, 12 booked already" in out
    assert settled.batches == []  # nothing sent twice
    after = entries(setup)[12:]
    assert len(after) == 12
    assert {(e["outcome"], e.get("note")) for e in after} == {("created", "found after an interrupted run")}
    by_txid = {h["transactionId"]: h["id"] for p in (AMY, BEN, CARA) for h in fake.holds(p)}
    assert {e["transaction_id"]: e["event_id"] for e in after} == by_txid

    code, _, _ = book(setup, settled, "--apply")  # settled once: a third run adds nothing to the log
    assert code == 0 and len(entries(setup)) == 24


def test_an_intent_whose_hold_never_appeared_is_recorded_as_not_created(setup: Path) -> None:  # noqa: F811
    class NothingMade(HoldsGraph):
        def respond(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("$batch"):
                raise KeyboardInterrupt  # interrupted before Graph made anything
            return super().respond(request)

    code, _, _ = book(setup, NothingMade(), "--apply")
    assert code == 130 and {e["outcome"] for e in entries(setup)} == {"intent"}
    fake = HoldsGraph()
    code, out, _ = book(setup, fake, "--apply")
    assert code == 0, out
    outcomes = [e["outcome"] for e in entries(setup)[12:]]
    assert outcomes[:12] == ["not created: interrupted before Graph answered"] * 12
    assert outcomes[12:] == ["intent"] * 12 + ["created"] * 12
