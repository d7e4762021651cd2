"""Rule-file validation (rules/loader.py) on small inline files: every bad field is refused with a message naming the
file, the rule and the field, in full; what a valid file sets is what the rule set holds. Fast: no file access."""

from __future__ import annotations

from pathlib import Path

import pytest

from calendar_audit.errors import RuleError
from calendar_audit.rules import CATEGORIES, check_files, load_rules, parse_rules

SRC = "team.toml"
USE = "use one of direct_work, meeting, training, travel, admin, other"
RULE = '[[rule]]\nname = "r"\ncategory = "admin"\n'  # a rule that still needs a matcher
VISIT = '[[rule]]\nname = "visit"\ncategory = "direct_work"\nsubject = ["visit"]\n'


def problems(text: str) -> list[str]:
    """The lines of the RuleError the text is refused with, without the file name every line starts with."""
    with pytest.raises(RuleError) as caught:
        parse_rules(text, source=SRC)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{SRC}: ") for line in lines)
    return [line.removeprefix(f"{SRC}: ") for line in lines]


BAD = [
    # the file's top level
    ("rule-not-tables", "rule = 3\n", ["rule: expected [[rule]] tables"]),
    ("rule-list-of-numbers", "rule = [1, 2]\n", ["rule: expected [[rule]] tables"]),
    # [categories]
    ("categories-not-a-table", "categories = 3\n", ["categories: expected a table [categories]"]),
    ("categories-misspelt-key", '[categories]\nordre = ["meeting"]\n',
     ['categories: unknown key "ordre" (did you mean "order"?)']),
    ("categories-unknown-key", '[categories]\ncolour = "red"\n',
     ['categories: unknown key "colour" (expected one of order)']),
    ("order-empty", "[categories]\norder = []\n",
     ["categories.order: expected a non-empty list of category names"]),
    ("order-not-a-list", '[categories]\norder = "meeting"\n',
     ["categories.order: expected a non-empty list of category names"]),
    # a bad order is not used: the rule's category is checked against the default order, so "direct_work" is fine
    ("order-with-a-number", '[categories]\norder = ["meeting", 3]\n' + VISIT,
     ["categories.order[1]: expected a string, got an integer 3"]),
    ("order-with-an-unknown-name", '[categories]\norder = ["meeting", "casework"]\n' + VISIT,
     ['categories.order[1]: unknown category "casework" (reports have columns for: direct_work, meeting, training, '
      'travel, admin, other)']),
    ("order-with-a-repeat", '[categories]\norder = ["meeting", "meeting"]\n' + VISIT,
     ['categories.order[1]: "meeting" is listed twice']),
    # [defaults]
    ("defaults-not-a-table", 'defaults = "admin"\n', ["defaults: expected a table [defaults]"]),
    ("defaults-misspelt-key", '[defaults]\nalon = "admin"\n', ['defaults: unknown key "alon" (did you mean "alone"?)']),
    ("defaults-unknown-key", '[defaults]\ncolour = "red"\n',
     ['defaults: unknown key "colour" (expected one of with_attendees, alone)']),
    ("defaults-misspelt-with-attendees", '[defaults]\nwith_attendee = "admin"\n',
     ['defaults: unknown key "with_attendee" (did you mean "with_attendees"?)']),
    ("defaults-not-a-string", "[defaults]\nalone = 3\n", ["defaults.alone: expected a string, got an integer 3"]),
    ("defaults-unknown-category", '[defaults]\nwith_attendees = "meetings"\n',
     [f'defaults.with_attendees: unknown category "meetings" ({USE})']),
    # a rule's name and category
    ("name-a-number", 'name = 3\ncategory = "admin"\nsubject = ["x"]\n',
     ["rule #1: name: expected a non-empty string, got an integer 3"]),
    ("name-empty", 'name = ""\ncategory = "admin"\nsubject = ["x"]\n',
     ['rule #1: name: expected a non-empty string, got a string ""']),
    ("name-blank", 'name = "  "\ncategory = "admin"\nsubject = ["x"]\n',
     ['rule "  ": name: expected a non-empty string, got a string "  "']),
    ("category-missing", 'name = "r"\nsubject = ["x"]\n', [f'rule "r": category: missing ({USE})']),
    ("category-a-number", 'name = "r"\ncategory = 2\nsubject = ["x"]\n',
     ['rule "r": category: expected a string, got an integer 2']),
    # lists of strings
    ("categories-empty", RULE + "outlook_categories = []\n",
     ['rule "r": outlook_categories: empty list: give at least one value or leave the key out']),
    ("categories-empty-string", RULE + 'outlook_categories = ["Admin", ""]\n',
     ['rule "r": outlook_categories: expected a list of non-empty strings']),
    ("categories-a-number", RULE + 'outlook_categories = ["Admin", 3]\n',
     ['rule "r": outlook_categories: expected a list of non-empty strings']),
    ("show-as-empty", RULE + "show_as = []\n",
     ['rule "r": show_as: empty list: give at least one value or leave the key out']),
    ("domain-not-a-list", RULE + 'organizer_domain = "council.gov.uk"\n',
     ['rule "r": organizer_domain: expected a list of strings, got a string "council.gov.uk"']),
    # lists of patterns: each bad item reported by its index, the items after a bad one still checked
    ("subject-not-a-list", RULE + 'subject = "visit"\n',
     ['rule "r": subject: expected a list of regular expressions, got a string "visit"']),
    ("location-empty", RULE + "location = []\n",
     ['rule "r": location: empty list: give at least one pattern or leave the key out']),
    ("subject-items", RULE + 'subject = [3, "ok", "("]\n',
     ['rule "r": subject[0]: expected a string, got an integer 3',
      'rule "r": subject[2]: bad regular expression "(": missing ), unterminated subpattern']),
    # flags and numbers
    ("never-decline-a-string", RULE + 'subject = ["x"]\nnever_decline = "yes"\n',
     ['rule "r": never_decline: expected true or false, got a string "yes"']),
    ("recurring-a-number", RULE + 'subject = ["x"]\nrecurring = 0\n',
     ['rule "r": recurring: expected true or false, got an integer 0']),
    ("attendees-a-boolean", RULE + 'subject = ["x"]\nmin_attendees = true\n',
     ['rule "r": min_attendees: expected a whole number, got a boolean True']),
    ("attendees-negative", RULE + 'subject = ["x"]\nmax_attendees = -1\n',
     ['rule "r": max_attendees: must not be negative, got -1']),
    ("minutes-negative", RULE + 'subject = ["x"]\nmax_minutes = -0.5\n',
     ['rule "r": max_minutes: must not be negative, got -0.5']),
    ("minutes-not-a-number", RULE + 'subject = ["x"]\nmin_minutes = nan\n',
     ['rule "r": min_minutes: must not be negative, got nan']),
    ("minutes-a-list", RULE + 'subject = ["x"]\nmax_minutes = [30]\n',
     ['rule "r": max_minutes: expected a number, got a list [30]']),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in BAD], ids=[c for c, _, _ in BAD])
def test_each_bad_field_is_refused_naming_the_file_rule_and_field(text: str, expected: list[str]) -> None:
    if not text.startswith(("[", "rule =", "categories =", "defaults =")):
        text = "[[rule]]\n" + text
    assert problems(text) == expected


def test_an_empty_categories_table_keeps_the_default_order() -> None:
    assert parse_rules("[categories]\n" + VISIT).categories == CATEGORIES


def test_a_valid_order_and_defaults_are_the_rule_sets() -> None:
    rules = parse_rules('[categories]\norder = ["meeting", "direct_work", "admin"]\n'
                        '[defaults]\nwith_attendees = "admin"\nalone = "direct_work"\n' + VISIT)
    assert (rules.categories, rules.with_attendees, rules.alone) == (
        ("meeting", "direct_work", "admin"), "admin", "direct_work")


def test_one_bad_rule_does_not_hide_the_next_rules_problems_nor_are_good_rules_reported() -> None:
    text = (VISIT + '[[rule]]\nname = "a"\ncategory = "x"\nsubject = ["a"]\n'
            '[[rule]]\nname = "ok"\ncategory = "admin"\nlocation = ["b"]\n'
            '[[rule]]\nname = "visit"\ncategory = "admin"\nsubject = ["c"]\n')
    assert problems(text) == [
        f'rule "a": category: unknown category "x" ({USE})',
        f'rule "visit": name: duplicate rule name: rule #1 in {SRC} already uses it',
    ]


def test_equal_minimum_and_maximum_are_accepted() -> None:
    rule = parse_rules(RULE + 'subject = ["x"]\nmin_attendees = 2\nmax_attendees = 2\n'
                       'min_minutes = 30.5\nmax_minutes = 30.5\n').rules[0]
    assert (rule.min_attendees, rule.max_attendees, rule.min_minutes, rule.max_minutes) == (2, 2, 30.5, 30.5)


def test_list_values_are_kept_in_order_and_normalised() -> None:
    rule = parse_rules(RULE + 'outlook_categories = ["Direct Work", "ADMIN"]\nshow_as = ["oof", "WorkingElsewhere"]\n'
                       'organizer_domain = [" @Council.GOV.uk ", "x-y.org"]\n').rules[0]
    assert (rule.outlook_categories, rule.show_as, rule.organizer_domain) == (
        ("direct work", "admin"), ("oof", "workingElsewhere"), ("council.gov.uk", "x-y.org"))


def test_text_without_a_source_is_named_rules_in_messages() -> None:
    with pytest.raises(RuleError) as caught:
        parse_rules("rule = 3\n")
    assert str(caught.value) == "<rules>: rule: expected [[rule]] tables"


def test_an_unreadable_file_does_not_stop_the_next_files_being_checked(tmp_path: Path) -> None:
    missing, latin1, bad = tmp_path / "missing.toml", tmp_path / "latin1.toml", tmp_path / "bad.toml"
    latin1.write_bytes('[[rule]]\nname = "caf\u00e9"\n'.encode("latin-1"))
    bad.write_text("rule = 3\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rules([missing, latin1, bad])
    assert str(caught.value).splitlines() == [
        f"{missing}: cannot read the rule file: No such file or directory",
        f"{latin1}: not UTF-8 text (save the rule file as UTF-8)",
        f"{bad}: rule: expected [[rule]] tables",
    ]


def test_the_summary_names_the_defaults_in_force_set_or_not(tmp_path: Path) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text('[defaults]\nwith_attendees = "admin"\n' + VISIT, encoding="utf-8")
    second.write_text('[defaults]\nalone = "travel"\n', encoding="utf-8")
    plain = tmp_path / "plain.toml"
    plain.write_text(VISIT, encoding="utf-8")
    order = "categories direct_work, meeting, training, travel, admin, other"
    assert check_files([plain]) == [
        f"{plain}: 1 rule (0 statutory, 0 never_decline); {order}; defaults with_attendees=meeting, alone=other"]
    assert check_files([first, second]) == [
        f"{first}: 1 rule (0 statutory, 0 never_decline); {order}; defaults with_attendees=admin, alone=other",
        f"{second}: 0 rules (0 statutory, 0 never_decline); {order}; defaults with_attendees=admin, alone=travel",
    ]
