"""Errors a user can act on, by kind.

The CLI reports a ``UserError`` on one line (kind, message, what to do) and exits with 1; every
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Base of the errors a user can fix; ``hint`` says how."""

    kind = "error"
    hint = ""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class DataError(UserError, ValueError):
    """A raw input or data/registry.toml breaks a validation rule."""

    kind = "data"
    hint = "correct the file named above (or restore the registered one with `python -m analysis fetch`)"


class SelectionError(UserError):
    """An unknown area or wave was asked for."""

    kind = "selection"
    hint = "`python -m analysis list` shows the areas and waves"


class PlanError(UserError, ValueError):
    """An area plan (plans/<slug>.md) breaks a rule of the plan format."""

    kind = "plan"
    hint = (
        "correct the plan file at the line shown (the format: book page 'Sådan skriver du en udviklingsplan'); "
        "`python -m analysis plan check` checks every plan"
    )


class StaleError(UserError):
    """The requested build would publish a stale or incomplete site."""

    kind = "stale"
    hint = "run a full build: `make book` (python -m analysis build)"


class BuildError(UserError, RuntimeError):
    """A build step failed; the message says which chapter, cell or input."""

    kind = "build"
    hint = "fix the chapter or input named above and build again; the published site is unchanged"


class FetchError(UserError, RuntimeError):
    """A raw input could not be fetched, or differs from its registered checksum or size."""

    kind = "fetch"
    hint = "see data/registry.toml and the README section 'New data'"


def describe(err: UserError) -> str:
    """The CLI's report: first line `error [kind]: message. What to do: hint`, details indented below."""
    first, *details = str(err).splitlines() or [""]
    head = f"error [{err.kind}]: {first}"
    if err.hint:
        head += f" -- what to do: {err.hint}"
    return "\n".join([head, *(f"  {line.strip()}" for line in details if line.strip())])
