"""Purpose rules: the shipped social-care rules, every matcher, first-match-wins, defaults and validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from calendar_audit.errors import InputError, RuleError
from calendar_audit.frame import from_columns, from_records
from calendar_audit.rules import CATEGORIES, Rule, RuleSet, check_files, classify, load_rules, parse_rules

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "rules" / "social-care.toml"
DATA = Path(__file__).resolve().parent / "data" / "rules"


def event(subject: str = "", **fields: Any) -> dict[str, Any]:
    """One event record: Mon 5 Jan 2026 10:00-11:00 UTC unless given."""
    record: dict[str, Any] = {
        "person": "amy.shaw@council.gov.uk",
        "event_id": fields.pop("event_id", "e1"),
        "subject": subject,
        "start": "2026-01-05T10:00:00Z",
        "end": "2026-01-05T11:00:00Z",
    }
    record.update(fields)
    return record


def classify_one(rules: RuleSet, subject: str = "", **fields: Any) -> pd.Series:
    """Classify a single event and return its row."""
    return classify(from_records([event(subject, **fields)]), rules).iloc[0]


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules([SHIPPED])


# --- the shipped social-care rules ----------------------------------------------------------------------

SHIPPED_CASES = [
    # (subject, rule, category, statutory)
    ("Travel to HV", "travel", "travel", False),
    ("Driving back from court", "travel", "travel", False),
    ("Journey to placement (Leeds)", "travel", "travel", False),
    ("ICPC prep", "preparation", "admin", False),
    ("Core group prep - baby M", "preparation", "admin", False),
    ("Preparing for LAC review", "preparation", "admin", False),
    ("Statement deadline - K", "report-writing", "admin", False),
    ("Court statement (final)", "report-writing", "admin", False),
    ("Write ICPC report", "report-writing", "admin", False),
    ("Core group minutes", "report-writing", "admin", False),
    ("Recording", "recording-admin", "admin", False),
    ("Case notes - J.S.", "recording-admin", "admin", False),
    ("Write up HV", "recording-admin", "admin", False),
    ("Admin time", "recording-admin", "admin", False),
    ("Paperwork", "recording-admin", "admin", False),
    ("Training: domestic abuse awareness", "training", "training", False),
    ("E-learning - GDPR", "training", "training", False),
    ("Court skills course", "training", "training", False),
    ("Trauma-informed practice workshop", "training", "training", False),
    ("Call with HV re baby M", "health-visitor-liaison", "meeting", False),
    ("Health visitor meeting", "health-visitor-liaison", "meeting", False),
    ("HV liaison", "health-visitor-liaison", "meeting", False),
    ("Supervised contact - Mum & K", "family-time", "direct_work", False),
    ("Family time (Dad)", "family-time", "direct_work", False),
    ("Statutory visit - T", "statutory-visit", "direct_work", True),
    ("CP visit (J.S.)", "statutory-visit", "direct_work", True),
    ("LAC visit – K", "statutory-visit", "direct_work", True),
    ("HV - J.S. (CP)", "home-visit", "direct_work", False),
    ("Home visit", "home-visit", "direct_work", False),
    ("Unannounced visit", "home-visit", "direct_work", False),
    ("CIN visit - the Patels", "home-visit", "direct_work", False),
    ("Visit to family (Smith)", "home-visit", "direct_work", False),
    ("Direct work - K", "direct-work-session", "direct_work", False),
    ("1:1 with YP", "direct-work-session", "direct_work", False),
    ("Life story work with T", "direct-work-session", "direct_work", False),
    ("Session with J", "direct-work-session", "direct_work", False),
    ("Keyworking", "direct-work-session", "direct_work", False),
    ("FGC - Smith family", "family-group-conference", "direct_work", False),
    ("Family group conference", "family-group-conference", "direct_work", False),
    ("ICPC for the Smith children", "child-protection-conference", "meeting", True),
    ("RCPC - baby M", "child-protection-conference", "meeting", True),
    ("Initial child protection conference", "child-protection-conference", "meeting", True),
    ("Core Group - baby M", "core-group", "meeting", True),
    ("Core group (statutory)", "core-group", "meeting", True),
    ("Strategy discussion (s47)", "strategy-discussion", "meeting", True),
    ("Strat meeting re J", "strategy-discussion", "meeting", True),
    ("Strategy meeting", "strategy-discussion", "meeting", True),
    ("LAC review – K", "looked-after-review", "meeting", True),
    ("CLA review", "looked-after-review", "meeting", True),
    ("IRO review", "looked-after-review", "meeting", True),
    ("Looked after review - T", "looked-after-review", "meeting", True),
    ("PEP meeting at school", "personal-education-plan", "meeting", True),
    ("Personal education plan - K", "personal-education-plan", "meeting", True),
    ("CIN meeting", "child-in-need-meeting", "meeting", True),
    ("Child in need review", "child-in-need-meeting", "meeting", True),
    ("Court hearing", "court-hearing", "meeting", True),
    ("FHDRA - Leeds FC", "court-hearing", "meeting", True),
    ("IRH (Smith children)", "court-hearing", "meeting", True),
    ("Final hearing day 2", "court-hearing", "meeting", True),
    ("Supervision", "supervision", "meeting", False),
    ("Group supervision", "supervision", "meeting", False),
    ("MASH triage", "mash-triage", "meeting", False),
    ("Triage", "mash-triage", "meeting", False),
    ("Professionals meeting", "professionals-meeting", "meeting", False),
    ("Multi-agency meeting re T", "professionals-meeting", "meeting", False),
    ("Team meeting", "team-meeting", "meeting", False),
    ("Service briefing", "team-meeting", "meeting", False),
]


@pytest.mark.parametrize(("subject", "rule", "category", "statutory"), SHIPPED_CASES)
def test_shipped_rule_matches(shipped: RuleSet, subject: str, rule: str, category: str, statutory: bool) -> None:
    row = classify_one(shipped, subject)
    assert (row["rule"], row["category"], row["statutory"], row["matched"]) == (rule, category, statutory, True)


INSPECTION_PREP = "Inspection prep – case file audit"


def test_inspection_prep_case_file_audit_with_twelve_people_is_a_meeting(shipped: RuleSet) -> None:
    # a 12-person, two-hour case file audit run by the QA lead: a social-care manager calls it an inspection-prep
    # (audit) meeting, not one person's desk preparation, so it is a meeting a team can weigh, not admin
    row = classify_one(shipped, INSPECTION_PREP, attendee_count=11, end="2026-01-05T12:00:00Z")
    assert (row["rule"], row["category"], row["statutory"]) == ("inspection-and-audit", "meeting", False)
    assert classify_one(shipped, "Inspection prep: practice evidence", attendee_count=9)["category"] == "meeting"


def test_inspection_prep_alone_or_with_one_colleague_stays_preparation(shipped: RuleSet) -> None:
    for others in (0, 1):
        row = classify_one(shipped, INSPECTION_PREP, attendee_count=others)
        assert (row["rule"], row["category"]) == ("preparation", "admin")
    assert classify_one(shipped, "Ofsted readiness workshop", attendee_count=11)["category"] == "training"


def test_every_shipped_rule_is_exercised(shipped: RuleSet) -> None:
    exercised = {case[1] for case in SHIPPED_CASES} | {"inspection-and-audit"}  # needs attendees: tested above
    assert {r.name for r in shipped.rules} == exercised


NEAR_MISSES = [
    # (subject, the rule it must NOT be given)
    ("HVAC engineer", "home-visit"),
    ("Core group prep", "core-group"),
    ("Courtesy call with new manager", "court-hearing"),
    ("Pepper the office dog's birthday", "personal-education-plan"),
    ("Pep talk for new starters", "personal-education-plan"),
    ("Recruitment strategy meeting", "strategy-discussion"),
    ("Team strategy meeting", "strategy-discussion"),
    ("Hearing test - baby M", "court-hearing"),
    ("The child's journey: practice forum", "travel"),
    ("Call with HV re baby M", "home-visit"),
    ("Supervised contact - Mum & K", "supervision"),
    ("Statement deadline - K", "court-hearing"),
    ("Write up HV", "home-visit"),
    ("Team catch up", "supervision"),
    ("Mashed potato lunch", "mash-triage"),
    ("Core group chairing training", "core-group"),
    ("CIN visit - the Patels", "child-in-need-meeting"),
]


@pytest.mark.parametrize(("subject", "rule"), NEAR_MISSES)
def test_shipped_near_miss_does_not_match(shipped: RuleSet, subject: str, rule: str) -> None:
    assert classify_one(shipped, subject)["rule"] != rule


@pytest.mark.parametrize(
    ("subject", "attendees", "rule", "category"),
    [
        ("Catch up", 1, "default:with_attendees", "meeting"),
        ("duty cover", 0, "default:alone", "other"),
        ("Annual leave", 0, "default:alone", "other"),
        ("FYI", 4, "default:with_attendees", "meeting"),
    ],
)
def test_shipped_unmatched_events_take_the_defaults(
    shipped: RuleSet, subject: str, attendees: int, rule: str, category: str
) -> None:
    row = classify_one(shipped, subject, attendee_count=attendees)
    assert (row["rule"], row["category"], row["matched"], row["statutory"]) == (rule, category, False, False)


def test_shipped_supervision_and_fgc_are_never_declined(shipped: RuleSet) -> None:
    never = sorted(r.name for r in shipped.rules if r.never_decline)
    assert never == ["family-group-conference", "supervision"]
    assert bool(classify_one(shipped, "Reflective supervision")["never_decline"]) is True
    assert bool(classify_one(shipped, "Team meeting")["never_decline"]) is False


def test_check_files_summarises_the_shipped_file() -> None:
    assert check_files([SHIPPED]) == [
        f"{SHIPPED}: 23 rules (8 statutory, 2 never_decline); categories direct_work, meeting, training, "
        "travel, admin, other; defaults with_attendees=meeting, alone=other"
    ]


# --- first match wins and every matcher ------------------------------------------------------------------

TWO_RULES = """
[[rule]]
name = "visit"
category = "direct_work"
subject = ["visit"]

[[rule]]
name = "review"
category = "meeting"
subject = ["review"]
statutory = true
"""


def test_first_matching_rule_wins_in_file_order() -> None:
    rules = parse_rules(TWO_RULES)
    frame = from_records(
        [
            event("Review visit", event_id="a"),
            event("Visit review", event_id="b"),
            event("Review", event_id="c"),
        ]
    )
    out = classify(frame, rules)
    assert out["rule"].tolist() == ["visit", "visit", "review"]
    assert out["statutory"].tolist() == [False, False, True]


def test_first_match_wins_across_files_in_the_order_given() -> None:
    first = load_rules([DATA / "uses-travel.toml", DATA / "categories-same-order.toml"])
    assert classify_one(first, "Staff meeting travel")["rule"] == "travel"
    second = load_rules([DATA / "categories-same-order.toml", DATA / "uses-travel.toml"])
    assert classify_one(second, "Staff meeting travel")["rule"] == "staff-meeting"


def one_rule(matcher: str) -> RuleSet:
    return parse_rules(f'[[rule]]\nname = "r"\ncategory = "admin"\n{matcher}\n')


@pytest.mark.parametrize(
    ("matcher", "fields", "matches"),
    [
        ('subject = ["\\\\bHV\\\\b"]', {"subject": "hv - J.S."}, True),
        ('subject = ["\\\\bHV\\\\b"]', {"subject": "HVAC"}, False),
        ('subject = ["x", "home visit"]', {"subject": "HOME VISIT"}, True),
        ('outlook_categories = ["Direct work"]', {"outlook_categories": ["Red", "direct WORK"]}, True),
        ('outlook_categories = ["Direct work"]', {"outlook_categories": ["Direct"]}, False),
        ('outlook_categories = ["Direct work"]', {"outlook_categories": []}, False),
        ("min_attendees = 8", {"attendee_count": 8}, True),
        ("min_attendees = 8", {"attendee_count": 7}, False),
        ("max_attendees = 2", {"attendee_count": 2}, True),
        ("max_attendees = 2", {"attendee_count": 3}, False),
        ("min_minutes = 90", {"end": "2026-01-05T11:30:00Z"}, True),
        ("min_minutes = 90", {"end": "2026-01-05T11:29:00Z"}, False),
        ("max_minutes = 15.5", {"end": "2026-01-05T10:15:30Z"}, True),
        ("max_minutes = 15.5", {"end": "2026-01-05T10:16:00Z"}, False),
        ('show_as = ["oof", "WorkingElsewhere"]', {"show_as": "workingElsewhere"}, True),
        ('show_as = ["oof", "WorkingElsewhere"]', {"show_as": "busy"}, False),
        ("online = true", {"is_online": True}, True),
        ("online = true", {"is_online": False}, False),
        ("online = false", {"is_online": False}, True),
        ('location = ["\\\\bschool\\\\b"]', {"location": "Oak Primary School"}, True),
        ('location = ["\\\\bschool\\\\b"]', {"location": "Schoolhouse Lane"}, False),
        ('organizer_domain = ["council.gov.uk"]', {"organizer": "Amy.Shaw@Council.GOV.uk"}, True),
        ('organizer_domain = ["council.gov.uk"]', {"organizer": "it@mail.council.gov.uk"}, True),
        ('organizer_domain = ["council.gov.uk"]', {"organizer": "x@notcouncil.gov.uk"}, False),
        ('organizer_domain = ["council.gov.uk"]', {"organizer": "council.gov.uk"}, False),
        ('organizer_domain = ["@nhs.net"]', {"organizer": "hv@nhs.net"}, True),
        ("recurring = true", {"series_id": "AAMk-series"}, True),
        ("recurring = true", {"series_id": ""}, False),
        ("recurring = false", {"series_id": ""}, True),
    ],
)
def test_each_matcher(matcher: str, fields: dict[str, Any], matches: bool) -> None:
    row = classify_one(one_rule(matcher), **fields)
    assert bool(row["matched"]) is matches
    unmatched = "default:with_attendees" if fields.get("attendee_count", 0) else "default:alone"
    assert row["rule"] == ("r" if matches else unmatched)


def test_every_matcher_given_must_hold() -> None:
    rules = one_rule('subject = ["review"]\nmin_attendees = 3\nonline = true')
    frame = from_records(
        [
            event("Review", event_id="all", attendee_count=3, is_online=True),
            event("Review", event_id="few", attendee_count=2, is_online=True),
            event("Review", event_id="room", attendee_count=3, is_online=False),
            event("Other", event_id="subject", attendee_count=3, is_online=True),
        ]
    )
    assert classify(frame, rules)["matched"].tolist() == [True, False, False, False]


# --- defaults --------------------------------------------------------------------------------------------


def test_defaults_split_on_other_attendees() -> None:
    rules = load_rules([DATA / "narrow-order.toml"])
    frame = from_records(
        [
            event("Catch up", event_id="a", attendee_count=1),
            event("Catch up", event_id="b", attendee_count=0),
            event("Home visit", event_id="c", attendee_count=0),
        ]
    )
    out = classify(frame, rules)
    assert out["category"].tolist() == ["meeting", "admin", "direct_work"]
    assert out["rule"].tolist() == ["default:with_attendees", "default:alone", "home-visit"]
    assert out["matched"].tolist() == [False, False, True]
    assert rules.categories == ("direct_work", "meeting", "admin")


def test_no_files_gives_the_default_order_and_defaults() -> None:
    rules = load_rules([])
    assert (rules.categories, rules.with_attendees, rules.alone, rules.rules) == (CATEGORIES, "meeting", "other", ())
    out = classify(from_records([event("x", attendee_count=2)]), rules)
    assert (out["category"].iloc[0], out["rule"].iloc[0]) == ("meeting", "default:with_attendees")


# --- the classified frame --------------------------------------------------------------------------------


def test_classify_returns_a_copy_with_typed_columns_and_the_index_kept() -> None:
    frame = from_records([event("Home visit", event_id="a"), event("x", event_id="b")])
    frame.index = pd.Index([10, 20])
    out = classify(frame, load_rules([SHIPPED]))
    assert "category" not in frame.columns
    assert out.index.tolist() == [10, 20]
    assert {c: str(out[c].dtype) for c in ("category", "rule", "statutory", "never_decline", "matched")} == {
        "category": "string",
        "rule": "string",
        "statutory": "bool",
        "never_decline": "bool",
        "matched": "bool",
    }
    assert out["event_id"].tolist() == ["a", "b"]


def test_classify_an_empty_frame() -> None:
    out = classify(from_records([]), load_rules([SHIPPED]))
    assert len(out) == 0
    assert str(out["category"].dtype) == "string"
    assert str(out["matched"].dtype) == "bool"


def test_classify_a_100k_row_frame(shipped: RuleSet) -> None:
    subjects = np.array(["HV - J.S. (CP)", "Team meeting", "ICPC for the Smith children", "Catch up", "HVAC"])
    n = 100_000
    picks = np.random.default_rng(7).integers(0, len(subjects), n)
    # 5,000 distinct subjects, each repeated, as recurring series are in real calendars
    subject = np.char.add(subjects[picks], np.char.add(" #", (np.arange(n) % 1000).astype(str)))
    start = pd.Timestamp("2026-01-05T09:00Z") + pd.to_timedelta(np.arange(n) % 500, unit="min")
    # from_columns: the frame module's fast path for large sources (from_records would build 100k dicts)
    frame = from_columns(
        {
            "person": ["amy.shaw@council.gov.uk"] * n,
            "event_id": np.arange(n).astype(str),
            "subject": subject,
            "start": start,
            "end": start + pd.Timedelta(minutes=60),
            "attendee_count": picks % 2,
        }
    )
    out = classify(frame, shipped)
    by_subject = np.array(["home-visit", "team-meeting", "child-protection-conference", "", ""], dtype=object)
    unmatched = np.where(picks % 2 == 1, "default:with_attendees", "default:alone")
    expected = np.where(by_subject[picks] != "", by_subject[picks], unmatched)
    assert (out["rule"].to_numpy(dtype=object) == expected).all()
    assert int(out["statutory"].sum()) == int((picks == 2).sum())


# --- validation ------------------------------------------------------------------------------------------

SUBJECTS = (
    "subject, outlook_categories, min_attendees, max_attendees, min_minutes, max_minutes, show_as, online, "
    "location, organizer_domain, recurring"
)
KEYS = (
    "name, category, subject, statutory, never_decline, description, outlook_categories, min_attendees, "
    "max_attendees, min_minutes, max_minutes, show_as, online, location, organizer_domain, recurring"
)
USE = "use one of direct_work, meeting, training, travel, admin, other"
NESTED = (
    'repeats a group that itself repeats (like "(a+)+"), which can take exponential time on a long subject; '
    "rewrite it without the nested repeat"
)

BAD_FILES = [
    ("syntax-error", ["TOML syntax error: Invalid value (at line 3, column 12)"]),
    ("unknown-top-key", ['unknown key "rules" (did you mean "rule"?)']),
    (
        "unknown-rule-key",
        [
            'rule "home-visit": unknown key "subjects" (did you mean "subject"?)',
            f'rule "home-visit": no matchers: the rule would match every event (give at least one of {SUBJECTS})',
        ],
    ),
    ("unknown-category", [f'rule "home-visit": category: unknown category "visits" ({USE})']),
    (
        "categories-unknown-name",
        [
            'categories.order[2]: unknown category "casework" '
            "(reports have columns for: direct_work, meeting, training, travel, admin, other)"
        ],
    ),
    ("categories-repeated", ['categories.order[2]: "direct_work" is listed twice']),
    (
        "default-not-in-order",
        ['defaults.alone: unknown category "other" (use one of direct_work, meeting, admin)'],
    ),
    (
        "duplicate-name",
        ['rule "home-visit": name: duplicate rule name: rule #1 in {path} already uses it'],
    ),
    ("bad-regex", ['rule "home-visit": subject[1]: bad regular expression "(": missing ), unterminated subpattern']),
    (
        "nested-quantifier",
        [
            f'rule "greedy": subject[0]: "(a+)+b" {NESTED}',
            f'rule "greedy": subject[1]: "(a*)*b" {NESTED}',
            f'rule "greedy": subject[2]: "(.*)*x" {NESTED}',
            f'rule "greedier": location[0]: "^(\\\\w+\\\\s?){{2,}}$" {NESTED}',
        ],
    ),
    ("long-pattern", ['rule "long": subject[0]: pattern is 501 characters long (at most 500)']),
    (
        "empty-match",
        ['rule "anything": subject[0]: "visit|" matches an empty subject, so it would match every event'],
    ),
    (
        "wrong-types",
        [
            'rule "long-meetings": statutory: expected true or false, got a string "yes"',
            'rule "long-meetings": online: expected true or false, got an integer 1',
            'rule "long-meetings": description: expected a string, got an integer 7',
            'rule "long-meetings": max_attendees: expected a whole number, got a number 2.5',
            'rule "long-meetings": min_minutes: expected a number, got a string "x"',
        ],
    ),
    (
        "empty-subject",
        ['rule "home-visit": subject: empty list: give at least one pattern or leave the key out'],
    ),
    (
        "min-above-max",
        [
            'rule "short-large": min_attendees: min_attendees = 10 is more than max_attendees = 3: '
            "the rule can never match",
            'rule "short-large": min_minutes: min_minutes = 90 is more than max_minutes = 30: the rule can never match',
        ],
    ),
    (
        "no-matchers",
        [f'rule "everything": no matchers: the rule would match every event (give at least one of {SUBJECTS})'],
    ),
    ("nameless", ["rule #3: name: missing (every rule needs a unique name)"]),
    (
        "several-problems",
        [
            'rule "home-visit": subject[0]: bad regular expression "(": missing ), unterminated subpattern',
            f'rule "team": unknown key "colour" (expected one of {KEYS})',
            f'rule "team": category: unknown category "meetings" ({USE})',
        ],
    ),
    (
        "bad-matcher-values",
        [
            'rule "odd": outlook_categories: expected a list of strings, got a string "Direct work"',
            'rule "odd": show_as[1]: unknown value "away" '
            "(use one of free, tentative, busy, oof, workingElsewhere, unknown)",
            'rule "odd": organizer_domain[0]: not a domain name: "council gov uk" (e.g. "council.gov.uk")',
        ],
    ),
    ("reserved-name", ['rule "default:alone": name: "default:" names are reserved for events no rule matched']),
]


@pytest.mark.parametrize(("case", "problems"), BAD_FILES, ids=[case for case, _ in BAD_FILES])
def test_bad_rule_file_is_refused_naming_file_rule_and_field(case: str, problems: list[str]) -> None:
    path = DATA / f"{case}.toml"
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert str(caught.value) == "\n".join(f"{path}: {p.replace('{path}', str(path))}" for p in problems)
    assert isinstance(caught.value, InputError)  # the CLI maps it to exit code 2


def test_check_files_raises_on_a_bad_file() -> None:
    bad = DATA / "unknown-category.toml"
    with pytest.raises(RuleError) as caught:
        check_files([DATA / "uses-travel.toml", bad])
    assert str(caught.value) == f'{bad}: rule "home-visit": category: unknown category "visits" ({USE})'


def test_check_files_gives_one_line_per_file() -> None:
    assert check_files([DATA / "narrow-order.toml", DATA / "defaults-alone-admin.toml"]) == [
        f"{DATA / 'narrow-order.toml'}: 1 rule (0 statutory, 0 never_decline); "
        "categories direct_work, meeting, admin; defaults with_attendees=meeting, alone=admin",
        f"{DATA / 'defaults-alone-admin.toml'}: 0 rules (0 statutory, 0 never_decline); "
        "categories direct_work, meeting, admin; defaults with_attendees=meeting, alone=admin",
    ]


def test_duplicate_name_across_files_names_both_files() -> None:
    with pytest.raises(RuleError) as caught:
        load_rules([DATA / "uses-travel.toml", SHIPPED])
    assert str(caught.value) == (
        f'{SHIPPED}: rule "travel": name: duplicate rule name: rule #1 in {DATA / "uses-travel.toml"} already uses it'
    )


def test_later_file_may_not_contradict_the_categories_order() -> None:
    with pytest.raises(RuleError) as caught:
        load_rules([SHIPPED, DATA / "categories-other-order.toml"])
    assert str(caught.value) == (
        f"{DATA / 'categories-other-order.toml'}: categories.order: "
        '["meeting", "direct_work", "training", "travel", "admin", "other"] contradicts '
        '["direct_work", "meeting", "training", "travel", "admin", "other"] set by '
        f"{SHIPPED} (state the order once, in the first file)"
    )


def test_later_file_may_restate_the_same_order_and_defaults() -> None:
    rules = load_rules([SHIPPED, DATA / "categories-same-order.toml"])
    assert rules.rules[-1].name == "staff-meeting"
    assert rules.rules[-1].source == str(DATA / "categories-same-order.toml")


def test_later_files_follow_the_first_files_order() -> None:
    # the narrow order leaves travel out, so a later rule using travel is refused
    with pytest.raises(RuleError) as caught:
        load_rules([DATA / "narrow-order.toml", DATA / "uses-travel.toml"])
    assert str(caught.value) == (
        f'{DATA / "uses-travel.toml"}: rule "travel": category: unknown category "travel" '
        "(use one of direct_work, meeting, admin)"
    )


def test_later_file_may_not_contradict_the_defaults() -> None:
    with pytest.raises(RuleError) as caught:
        load_rules([DATA / "defaults-alone-admin.toml", DATA / "categories-same-order.toml"])
    assert str(caught.value) == (
        f'{DATA / "categories-same-order.toml"}: defaults.alone: "other" contradicts "admin" '
        f"set by {DATA / 'defaults-alone-admin.toml'}"
    )


def test_defaults_from_an_earlier_file_hold_for_later_ones() -> None:
    rules = load_rules([DATA / "defaults-alone-admin.toml", DATA / "uses-travel.toml"])
    assert (rules.with_attendees, rules.alone) == ("meeting", "admin")
    assert classify_one(rules, "Catch up")["category"] == "admin"


def test_problems_in_several_files_are_reported_together() -> None:
    with pytest.raises(RuleError) as caught:
        load_rules([DATA / "unknown-top-key.toml", DATA / "empty-subject.toml"])
    assert [line.split(": ")[0] for line in str(caught.value).splitlines()] == [
        str(DATA / "unknown-top-key.toml"),
        str(DATA / "empty-subject.toml"),
    ]


def test_missing_rule_file_is_named() -> None:
    path = DATA / "no-such-file.toml"
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    assert str(caught.value) == f"{path}: cannot read the rule file: No such file or directory"


def test_loaded_rule_holds_the_parsed_fields() -> None:
    rules = parse_rules(
        """
[[rule]]
name = "visit"
category = "direct_work"
subject = ["home visit"]
statutory = true
never_decline = true
description = "Visits."
outlook_categories = ["Direct Work"]
min_attendees = 0
max_attendees = 3
min_minutes = 30
max_minutes = 240
show_as = ["BUSY"]
online = false
location = ["^\\\\d+ "]
organizer_domain = ["Council.gov.uk"]
recurring = false
""",
        source="inline.toml",
    )
    rule = rules.rules[0]
    assert isinstance(rule, Rule)
    assert [p.pattern for p in rule.subject] == ["home visit"]
    assert [p.pattern for p in rule.location] == ["^\\d+ "]
    assert (rule.outlook_categories, rule.show_as, rule.organizer_domain) == (
        ("direct work",),
        ("busy",),
        ("council.gov.uk",),
    )
    assert (rule.min_attendees, rule.max_attendees, rule.min_minutes, rule.max_minutes) == (0, 3, 30, 240)
    assert (rule.statutory, rule.never_decline, rule.online, rule.recurring) == (True, True, False, False)
    assert (rule.description, rule.source) == ("Visits.", "inline.toml")


def test_patterns_with_backreferences_and_flags_keep_their_meaning() -> None:
    # a rule's patterns are searched as one alternation where that is safe; these ones must stay separate
    rules = one_rule('subject = ["(\\\\w)\\\\1{2}", "(?x) home \\\\s visit", "(?P<kind>CP) plan", "review"]')
    frame = from_records(
        [
            event("Zzz", event_id="backref"),
            event("home visit", event_id="verbose"),
            event("CP plan", event_id="named"),
            event("LAC review", event_id="plain"),
            event("Hello", event_id="none"),
        ]
    )
    assert classify(frame, rules)["matched"].tolist() == [True, True, True, True, False]


@pytest.mark.parametrize("subject", ["Case recording training", "Lunch and learn: new case recording form"])
def test_training_about_recording_is_training(shipped: RuleSet, subject: str) -> None:
    assert classify_one(shipped, subject)["rule"] == "training"
