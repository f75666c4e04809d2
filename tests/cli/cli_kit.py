"""Helpers of the CLI tests: the one-line error check (and the kit's synthetic walk)."""

from __future__ import annotations

from kit import walking_joints as walking_joints  # re-exported for the CLI tests


def check_one_line_error(stderr: str, command: str, *fragments: str) -> None:
    """stderr holds exactly one line, ``momo COMMAND: error: ...``, containing every fragment."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {stderr!r}"
    assert lines[0].startswith(f"momo {command}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
