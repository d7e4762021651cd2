"""The exception tree. The CLI maps it to exit codes in one place (``cli.main``).

    CalendarAuditError                 exit 1: something failed
     +-- InputError                    exit 2: bad input or usage; the message names the file, line, rule or field
     |    +-- ConfigError              a settings file or environment variable
     |    +-- RuleError                a purpose-rule file
     |    +-- SlotError                a protected-slot policy
     |    +-- IcsError                 an .ics file that cannot be read
     +-- SourceError                   a calendar source failed as a whole (e.g. sign-in)
     +-- StoreError                    the local store cannot be opened, read or written (locked, read-only, full)
     +-- MailboxError                  one mailbox failed; the others go on (exit 3 when any did)
     +-- NoMailboxReadable             exit 3: every mailbox failed, so there is nothing to report

Messages never contain secrets: callers pass names and places, never values of secret settings.
"""

from __future__ import annotations


class CalendarAuditError(Exception):
    """Base of every expected failure; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(CalendarAuditError):
    """Bad input or usage: the message names the file, line, rule or field."""

    exit_code = 2


class ConfigError(InputError):
    """A setting is missing or malformed."""


class RuleError(InputError):
    """A purpose-rule file is malformed."""


class SlotError(InputError):
    """A protected-slot policy is malformed."""


class IcsError(InputError):
    """An .ics file cannot be read."""


class SourceError(CalendarAuditError):
    """A calendar source failed as a whole (sign-in refused, server unreachable)."""


class StoreError(CalendarAuditError):
    """The local SQLite store cannot be opened, read or written; the message names the file and the cause."""


class MailboxError(CalendarAuditError):
    """One mailbox could not be read or written; the run goes on with the others."""

    def __init__(self, mailbox: str, reason: str) -> None:
        super().__init__(f"{mailbox}: {reason}")
        self.mailbox = mailbox
        self.reason = reason


class NoMailboxReadable(CalendarAuditError):
    """Every mailbox of the team failed: nothing to report. Exit 3 (mailboxes failed), each one named."""

    exit_code = 3
