"""Reply drafts: one per main reason, courteous, offering an alternative, never quoting the subject or case detail."""

from __future__ import annotations

import re
from datetime import date

import pytest

from calendar_audit.audit import prepare_events
from calendar_audit.errors import ConfigError
from calendar_audit.frame import WorkingHours
from calendar_audit.replies import DEFAULT_TEMPLATES, draft_reply
from calendar_audit.rules import RuleSet
from calendar_audit.settings import Settings, SuggestSettings
from calendar_audit.suggest import REASON_CODES, suggest
from calendar_audit.window import Window

WINDOW = Window(date(2026, 11, 2), date(2026, 11, 8), "Europe/London")
ADVERSARIAL = [
    "Catch up re Jayden Smith (DOB 03/04/2019) - CP plan",
    "FYI: Olivia Brown placement breakdown, 14 Elm Road",
    "Quick sync - Mohammed Khan / school exclusion / LADO",
    "Update on the Nowak family - do not forward",
]
OFFERS = re.compile(r"notes|in advance|colleague|represent|updates", re.IGNORECASE)


def test_every_reason_has_a_short_courteous_template_offering_an_alternative():
    assert set(DEFAULT_TEMPLATES) == set(REASON_CODES)
    for code in REASON_CODES:
        text = draft_reply(code)
        assert text.startswith("Thank"), code
        assert OFFERS.search(text), code
        assert len(text) <= 300, code


def test_templates_from_settings_replace_the_default_for_their_reason_only():
    templates = {"optional": "Thanks - I'll read the minutes instead."}
    assert draft_reply("optional", templates) == "Thanks - I'll read the minutes instead."
    assert draft_reply("large", templates) == " ".join(DEFAULT_TEMPLATES["large"].split())


@pytest.mark.parametrize(("templates", "message"), [
    ({"boring": "x"}, "suggest.templates.boring: unknown reason"),
    ({"optional": "  "}, "suggest.templates.optional: empty reply template"),
])
def test_bad_templates_are_refused_naming_the_setting(templates, message):
    with pytest.raises(ConfigError, match=message):
        draft_reply("optional", templates)


def test_replies_never_quote_an_adversarial_subject_or_the_names_in_it(make_events):
    rows = [{"subject": s, "start": f"2026-11-0{2 + i} 10:00", "end": f"2026-11-0{2 + i} 11:00",
             "attendee_count": 12, "is_optional": i % 2 == 0, "response": "accepted"}
            for i, s in enumerate(ADVERSARIAL)]
    events = prepare_events(make_events(*rows), RuleSet(), WINDOW, Settings())
    found = suggest(events, "sam@council.gov.uk", WINDOW, SuggestSettings(), hours=WorkingHours())
    assert len(found) == len(ADVERSARIAL)
    words = {w.lower() for s in ADVERSARIAL for w in re.findall(r"[A-Za-z]{4,}|\d+", s)}
    words -= {"catch", "update", "quick", "sync", "plan", "school"}  # ordinary words a template may use
    for reply in found["reply"]:
        assert reply in {" ".join(t.split()) for t in DEFAULT_TEMPLATES.values()}
        said = {w.lower() for w in re.findall(r"[A-Za-z]{4,}|\d+", reply)}
        assert not said & words, said & words
        for subject in ADVERSARIAL:
            assert subject.lower() not in reply.lower()
