"""BVH parsing: any hierarchy, any rotation channel order, position channels on any joint.

A BVH file is a HIERARCHY of joints (each with an OFFSET from its parent, an optional list of
CHANNELS and optional ``End Site`` leaves) followed by a MOTION section (``Frames:``,
``Frame Time:`` and one line of channel values per frame). Conventions implemented here:

- Rotation channels are intrinsic Euler angles in degrees applied in the order they are listed:
  ``Zrotation Xrotation Yrotation`` means ``R = Rz @ Rx @ Ry`` (scipy ``from_euler("ZXY", ...)``
  with upper-case, intrinsic axes). Each joint may list its own order, or only some axes.
- A position channel *replaces* the OFFSET component on its axis (the convention of the BVH
  exporters that write position channels on every joint, e.g. Bandai Namco's, where the channel
  values equal the offsets; and of the root, whose position channel is its location).
- A joint's position is its parent's position plus the parent's global rotation applied to the
  joint's (possibly animated) offset.

Parsing is strict: anything malformed raises `momo.MotionFormatError` saying what is wrong.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np

from momo.errors import MotionFormatError
from momo.io.budget import check_source_frames

_AXES = "XYZ"
_CHANNEL_RE = re.compile(r"^([XYZxyz])(position|rotation)$", re.IGNORECASE)
_FRAMES_RE = re.compile(r"^\s*Frames\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FRAME_TIME_RE = re.compile(r"^\s*Frame\s+Time\s*:\s*(\S+)\s*$", re.IGNORECASE)
# A number as BVH exporters write it: ASCII digits only (Python's float() also takes "1_000" and
# other scripts' digits, which no exporter writes), or nan / inf (reported as non-finite).
_NUMBER_RE = re.compile(
    r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity)$",
    re.IGNORECASE,
)
_COUNT_RE = re.compile(r"^[0-9]{1,6}$")
_FRAME_COUNT_RE = re.compile(r"^[+-]?[0-9]{1,12}$")
#: Deepest joint nesting accepted (real rigs stay under 40 levels).
MAX_DEPTH = 256
#: Largest rotation channel value accepted, in degrees (beyond it float64 angles keep no
#: fraction of a degree: the file is corrupt).
MAX_ANGLE_DEGREES = 1e6


@dataclass(frozen=True, eq=False)
class BVHJoint:
    """One joint of a BVH hierarchy.

    Attributes:
        name: the joint's name as written in the file.
        parent: index of the parent joint, -1 for the root.
        offset: float64 ``[3]``, the OFFSET from the parent, in file units.
        channels: the channel names in file order (e.g. ``("Xposition", "Zrotation", ...)``),
            normalised to ``"Xposition"`` / ``"Zrotation"`` capitalisation.
        end_sites: float64 ``[K, 3]`` offsets of the joint's ``End Site`` children (K may be 0).
    """

    name: str
    parent: int
    offset: np.ndarray
    channels: tuple[str, ...]
    end_sites: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def rotation_order(self) -> str:
        """Axes of the rotation channels in file order, e.g. ``"ZXY"`` ("" if none)."""
        return "".join(c[0] for c in self.channels if c.endswith("rotation"))


@dataclass(frozen=True, eq=False)
class BVHClip:
    """A parsed BVH file.

    Attributes:
        joints: the joints in file (depth-first) order; parents precede children.
        motion: float64 ``[F, C]`` channel values, one row per frame, C = total channel count.
        frame_time: seconds per frame.
        source: where it came from (a path or member name), for messages.
    """

    joints: tuple[BVHJoint, ...]
    motion: np.ndarray
    frame_time: float
    source: str = "<string>"

    @property
    def names(self) -> tuple[str, ...]:
        """Joint names in file order."""
        return tuple(j.name for j in self.joints)

    @property
    def parents(self) -> tuple[int, ...]:
        """Parent index of each joint (-1 for the root)."""
        return tuple(j.parent for j in self.joints)

    @property
    def num_frames(self) -> int:
        """Number of frames F."""
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        """Frames per second, ``1 / frame_time``."""
        return 1.0 / self.frame_time

    def channel_columns(self) -> list[tuple[int, ...]]:
        """For each joint, the column indices of its channels in `motion`."""
        columns: list[tuple[int, ...]] = []
        start = 0
        for joint in self.joints:
            columns.append(tuple(range(start, start + len(joint.channels))))
            start += len(joint.channels)
        return columns


def _fail(source: str, message: str) -> MotionFormatError:
    return MotionFormatError(f"{source}: {message}")


class _Tokens:
    """Whitespace tokens of the HIERARCHY section with their line numbers."""

    def __init__(self, header: str, source: str) -> None:
        self.items: list[tuple[str, int]] = []
        for lineno, line in enumerate(header.splitlines(), start=1):
            line = line.replace("{", " { ").replace("}", " } ")
            self.items.extend((tok, lineno) for tok in line.split())
        self.pos = 0
        self.source = source

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def next(self, what: str) -> str:
        if self.pos >= len(self.items):
            raise _fail(
                self.source,
                f"the HIERARCHY section ends early (expected {what}); the file is truncated or "
                "not a BVH file; re-export it",
            )
        tok = self.items[self.pos][0]
        self.pos += 1
        return tok

    def line(self) -> int:
        if not self.items:
            return 0
        return self.items[min(self.pos, len(self.items) - 1)][1]

    def expect(self, expected: str) -> None:
        tok = self.next(repr(expected))
        if tok != expected:
            raise _fail(
                self.source,
                f"line {self.line()}: expected {expected!r} but found {tok!r}; the HIERARCHY "
                "section is malformed",
            )

    def number(self, what: str) -> float:
        tok = self.next(what)
        try:
            value = parse_number(tok)
        except ValueError:
            raise _fail(
                self.source, f"line {self.line()}: expected a number for {what}, found {tok!r}"
            ) from None
        if not np.isfinite(value):
            raise _fail(self.source, f"line {self.line()}: {what} is {tok}; it must be finite")
        return value


def _normalise_channel(name: str, tokens: _Tokens) -> str:
    match = _CHANNEL_RE.match(name)
    if match is None:
        raise _fail(
            tokens.source,
            f"line {tokens.line()}: unknown channel {name!r}; BVH channels are X/Y/Z position "
            "and X/Y/Z rotation",
        )
    return match.group(1).upper() + match.group(2).lower()


def _parse_joint(
    tokens: _Tokens, name: str, parent: int, joints: list[dict[str, object]], depth: int = 0
) -> None:
    if depth > MAX_DEPTH:
        raise _fail(
            tokens.source,
            f"line {tokens.line()}: joints are nested more than {MAX_DEPTH} levels deep; no "
            "real skeleton is: the file is malformed",
        )
    index = len(joints)
    record: dict[str, object] = {
        "name": name,
        "parent": parent,
        "offset": None,
        "channels": (),
        "end_sites": [],
    }
    joints.append(record)
    tokens.expect("{")
    while True:
        tok = tokens.next("'}' closing joint " + repr(name))
        upper = tok.upper()
        if tok == "}":
            break
        if upper == "OFFSET":
            record["offset"] = np.array(
                [tokens.number(f"OFFSET of {name!r}") for _ in range(3)], dtype=np.float64
            )
        elif upper == "CHANNELS":
            count_tok = tokens.next("channel count")
            if not _COUNT_RE.match(count_tok) or int(count_tok) > 6:
                raise _fail(
                    tokens.source,
                    f"line {tokens.line()}: CHANNELS of {name!r} must start with a count from 0 "
                    f"to 6 in ASCII digits, found {count_tok[:20]!r}",
                )
            channels = tuple(
                _normalise_channel(tokens.next("a channel name"), tokens)
                for _ in range(int(count_tok))
            )
            if len(set(channels)) != len(channels):
                raise _fail(tokens.source, f"joint {name!r} lists a channel twice: {channels}")
            record["channels"] = channels
        elif upper in ("JOINT", "ROOT"):
            child = _read_name(tokens, "joint name")
            _parse_joint(tokens, child, index, joints, depth + 1)
        elif upper == "END":
            site = tokens.next("'Site'")
            if site.upper() != "SITE":
                raise _fail(
                    tokens.source, f"line {tokens.line()}: expected 'End Site', found 'End {site}'"
                )
            # Some exporters name the end site; skip anything up to the brace.
            while tokens.peek() not in ("{", None):
                tokens.next("'{'")
            tokens.expect("{")
            keyword = tokens.next("OFFSET")
            if keyword.upper() != "OFFSET":
                raise _fail(
                    tokens.source,
                    f"line {tokens.line()}: an End Site of {name!r} must hold an OFFSET, "
                    f"found {keyword!r}",
                )
            offset = [tokens.number(f"End Site OFFSET of {name!r}") for _ in range(3)]
            tokens.expect("}")
            record["end_sites"].append(offset)  # type: ignore[union-attr]
        else:
            raise _fail(
                tokens.source,
                f"line {tokens.line()}: unexpected {tok!r} inside joint {name!r}; the HIERARCHY "
                "section is malformed",
            )
    if record["offset"] is None:
        raise _fail(tokens.source, f"joint {name!r} has no OFFSET")


def _read_name(tokens: _Tokens, what: str) -> str:
    parts: list[str] = []
    while tokens.peek() not in ("{", None):
        parts.append(tokens.next(what))
    if not parts:
        raise _fail(tokens.source, f"line {tokens.line()}: a joint has no name")
    return " ".join(parts)


def _parse_hierarchy(header: str, source: str) -> tuple[BVHJoint, ...]:
    tokens = _Tokens(header, source)
    first = tokens.next("HIERARCHY")
    if first.upper() != "HIERARCHY":
        raise _fail(source, f"not a BVH file: it must start with HIERARCHY, found {first[:40]!r}")
    records: list[dict[str, object]] = []
    keyword = tokens.next("ROOT")
    if keyword.upper() != "ROOT":
        raise _fail(
            source, f"line {tokens.line()}: expected ROOT after HIERARCHY, found {keyword!r}"
        )
    _parse_joint(tokens, _read_name(tokens, "root name"), -1, records)
    if tokens.peek() is not None:
        extra = tokens.next("end")
        if extra.upper() == "ROOT":
            raise _fail(
                source,
                "the file has several ROOT hierarchies; only single-skeleton BVH files are "
                "supported (split it into one file per skeleton)",
            )
        raise _fail(source, f"line {tokens.line()}: unexpected {extra!r} after the hierarchy")
    names = [str(r["name"]) for r in records]
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise _fail(source, f"joint names must be unique; repeated: {duplicates}")
    joints = []
    for record in records:
        sites = np.asarray(record["end_sites"], dtype=np.float64).reshape(-1, 3)
        joints.append(
            BVHJoint(
                name=str(record["name"]),
                parent=int(record["parent"]),  # type: ignore[arg-type]
                offset=record["offset"],  # type: ignore[arg-type]
                channels=record["channels"],  # type: ignore[arg-type]
                end_sites=sites,
            )
        )
    return tuple(joints)


def _parse_motion(body: str, num_channels: int, source: str) -> tuple[np.ndarray, float]:
    lines = body.split("\n", 3)
    # lines[0] is the rest of the MOTION line (normally empty).
    if lines[0].strip():
        raise _fail(source, f"unexpected text after MOTION: {lines[0].strip()[:40]!r}")
    if len(lines) < 3:
        raise _fail(
            source,
            "the MOTION section lacks 'Frames:' and 'Frame Time:' lines; the file is truncated",
        )
    frames_match = _FRAMES_RE.match(lines[1])
    time_match = _FRAME_TIME_RE.match(lines[2])
    if frames_match is None or time_match is None:
        raise _fail(
            source,
            "the MOTION section must start with 'Frames: N' and 'Frame Time: seconds' lines, "
            f"found {lines[1].strip()[:40]!r} and {lines[2].strip()[:40]!r}",
        )
    try:
        if not _FRAME_COUNT_RE.match(frames_match.group(1)):
            raise ValueError("frame count")
        num_frames = int(frames_match.group(1))
        frame_time = parse_number(time_match.group(1))
    except ValueError:
        raise _fail(
            source, f"bad frame count or frame time: {lines[1].strip()!r}, {lines[2].strip()!r}"
        ) from None
    if num_frames < 1:
        raise _fail(source, f"the file has {num_frames} frames; it needs at least one")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise _fail(source, f"Frame Time is {frame_time}; it must be a positive number of seconds")
    check_source_frames(num_frames, source)
    data_text = lines[3] if len(lines) > 3 else ""
    expected = num_frames * num_channels
    if num_channels == 0:
        return np.zeros((num_frames, 0)), frame_time
    try:
        values = np.loadtxt(io.StringIO(data_text), dtype=np.float64, ndmin=2)
        if values.shape[1] != num_channels and values.size:
            raise ValueError("row length")
        values = values.reshape(-1)
    except ValueError:
        # Rows of uneven length or non-numbers: find out which, for a useful message.
        tokens = data_text.split()
        bad = next((t for t in tokens if not _is_number(t)), None)
        if bad is None:
            values = np.array(tokens, dtype=np.float64)
        else:
            raise _fail(
                source, f"the MOTION data contains {bad[:20]!r}, which is not a number"
            ) from None
        if values.size == expected:
            pass  # frames wrapped over several lines: accept
        elif values.size < expected:
            raise _fail(
                source,
                f"the file is truncated: {num_frames} frames of {num_channels} channels need "
                f"{expected} values, found {values.size}; re-export or re-download it",
            ) from None
        else:
            raise _fail(
                source,
                f"frame rows do not have {num_channels} values each (the hierarchy's channel "
                "count); the file is malformed",
            ) from None
    if values.size < expected:
        raise _fail(
            source,
            f"the file is truncated: {num_frames} frames of {num_channels} channels need "
            f"{expected} values, found {values.size}; re-export or re-download it",
        )
    if values.size > expected:
        raise _fail(
            source,
            f"the file has {values.size // num_channels} frames of data but its header says "
            f"Frames: {num_frames}; fix the header or re-export the file",
        )
    motion = values.reshape(num_frames, num_channels)
    if not np.isfinite(motion).all():
        bad_frame = int(np.argwhere(~np.isfinite(motion))[0, 0])
        raise _fail(
            source,
            f"the MOTION data contains NaN or Inf (first at frame {bad_frame}); clean the "
            "source data before importing it",
        )
    return motion, frame_time


def _is_number(token: str) -> bool:
    return _NUMBER_RE.match(token) is not None


def parse_number(token: str) -> float:
    """A number written with ASCII digits (``1.5``, ``-2e-3``, ``nan``), as BVH files hold them.

    Raises:
        ValueError: for anything else, including ``1_000`` and non-ASCII digits, which
            Python's ``float`` would accept.
    """
    if not _is_number(token):
        raise ValueError(f"not a number: {token[:20]!r}")
    return float(token)


def nominal_fps(frame_time: float) -> float:
    """The frame rate a Frame Time stands for: ``1 / frame_time``, to the nearest whole number
    when within 0.1 % of it (``0.008333`` -> 120, ``0.0333333`` -> 30), else to 3 decimals
    (``29.97``)."""
    fps = 1.0 / frame_time
    whole = round(fps)
    if whole > 0 and abs(fps - whole) <= 1e-3 * fps:
        return float(whole)
    return round(fps, 3)


def _check_angles(joints: tuple[BVHJoint, ...], motion: np.ndarray, source: str) -> None:
    """Raise if a rotation channel holds an angle no exporter writes (beyond ±1e6 degrees)."""
    start = 0
    columns = []
    for joint in joints:
        columns += [start + i for i, c in enumerate(joint.channels) if c.endswith("rotation")]
        start += len(joint.channels)
    if not columns:
        return
    angles = np.abs(motion[:, columns])
    if angles.size and angles.max() > MAX_ANGLE_DEGREES:
        frame = int(np.argwhere(angles > MAX_ANGLE_DEGREES)[0, 0])
        raise _fail(
            source,
            f"a rotation at frame {frame} is {angles.max():.3g} degrees; angles beyond "
            f"{MAX_ANGLE_DEGREES:g} degrees mean a corrupt file: re-export it",
        )


def parse_bvh(text: str, source: str = "<string>") -> BVHClip:
    """Parse the text of a BVH file.

    Args:
        text: the whole file.
        source: a name for error messages (path or archive member).

    Returns:
        The parsed `BVHClip` (hierarchy, ``[F, C]`` channel values, frame time).

    Raises:
        MotionFormatError: if the text is empty, not BVH, truncated, has non-finite values, or
            its frame rows do not match the hierarchy's channels.
    """
    if not text.strip():
        raise _fail(source, "the file is empty; pass a BVH file with a HIERARCHY and MOTION")
    if "\x00" in text[:4096]:
        raise _fail(source, "not a BVH file (binary data); pass a text BVH file")
    match = re.search(r"^\s*MOTION\b", text, flags=re.MULTILINE | re.IGNORECASE)
    if match is None:
        if not text.lstrip().upper().startswith("HIERARCHY"):
            raise _fail(source, "not a BVH file: it must start with HIERARCHY")
        raise _fail(
            source,
            "the file has no MOTION section; it is truncated or not a BVH file; re-export it",
        )
    joints = _parse_hierarchy(text[: match.start()], source)
    num_channels = sum(len(j.channels) for j in joints)
    motion, frame_time = _parse_motion(text[match.end() :], num_channels, source)
    _check_angles(joints, motion, source)
    return BVHClip(joints=joints, motion=motion, frame_time=frame_time, source=source)


def decode_text(data: bytes, source: str) -> str:
    """Decode a motion file's bytes as UTF-8 (Latin-1 as a fallback for old exporters).

    Raises:
        MotionFormatError: if the bytes look binary.
    """
    if b"\x00" in data[:4096]:
        raise _fail(source, "not a text file (binary data); pass a text BVH or DeepMimic file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
