"""Captions of a user's motion files: ``clip.txt`` beside each file, or one mapping file.

Two ways to caption the motions of a folder (several captions per clip are allowed in both):

- a *sidecar* text file beside the motion with the same stem (``walk_01.bvh`` + ``walk_01.txt``):
  one caption per non-empty line; HumanML3D-style lines ``caption#tokens#start#end`` keep the part
  before the first ``#``.
- one *mapping file* (``--captions FILE``): a CSV with a header naming a ``file`` (or ``path``)
  column and a ``caption`` (or ``text``) column, one row per caption; or a JSON object
  ``{"file": "caption" | ["caption", ...]}``. Files are named by their path relative to the
  folder, with or without the suffix.

A mapping file's captions come first; a sidecar adds to them.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path, PurePosixPath

from momo.errors import MomoError

_FILE_COLUMNS = ("file", "path", "clip", "name")
_CAPTION_COLUMNS = ("caption", "text", "description")


def caption_lines(text: str) -> list[str]:
    """Captions of a sidecar's text: one per non-empty line, HumanML3D's ``#...`` tail dropped."""
    captions = []
    for line in text.splitlines():
        caption = " ".join(line.split("#", 1)[0].split())
        if caption:
            captions.append(caption)
    return captions


def mapping_key(relative: str | PurePosixPath) -> str:
    """The key a mapping file uses for a file: its relative POSIX path without the suffix."""
    path = PurePosixPath(relative)
    return str(path.with_suffix("")) if path.suffix else str(path)


def read_caption_mapping(path: str | Path) -> dict[str, list[str]]:
    """Read a CSV or JSON mapping file into {mapping key: captions}.

    Raises:
        FileNotFoundError: if the file does not exist.
        MomoError: if it is neither a CSV with file and caption columns nor a JSON object of
            captions (the message says what is expected).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"captions file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MomoError(f"{path}: captions file is not UTF-8 text ({error.reason})") from error
    if path.suffix.lower() == ".json":
        return _json_mapping(text, path)
    if path.suffix.lower() in (".csv", ".tsv"):
        return _csv_mapping(text, path, "\t" if path.suffix.lower() == ".tsv" else ",")
    raise MomoError(f"{path}: a captions file must be .csv, .tsv or .json")


def _json_mapping(text: str, path: Path) -> dict[str, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MomoError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from error
    if not isinstance(data, dict):
        raise MomoError(f'{path}: expected a JSON object {{"file": "caption" or [captions]}}')
    mapping: dict[str, list[str]] = {}
    for name, value in data.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise MomoError(f"{path}: captions of {name!r} must be a string or a list of strings")
        captions = [c for v in values for c in caption_lines(v)]
        mapping.setdefault(mapping_key(name), []).extend(captions)
    return mapping


def _csv_mapping(text: str, path: Path, delimiter: str) -> dict[str, list[str]]:
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    fields = {name.strip().lower(): name for name in reader.fieldnames or ()}
    file_column = next((fields[c] for c in _FILE_COLUMNS if c in fields), None)
    caption_column = next((fields[c] for c in _CAPTION_COLUMNS if c in fields), None)
    if file_column is None or caption_column is None:
        raise MomoError(
            f"{path}: the first row must name a file column ({', '.join(_FILE_COLUMNS)}) and a "
            f"caption column ({', '.join(_CAPTION_COLUMNS)}); found {list(fields) or 'nothing'}"
        )
    mapping: dict[str, list[str]] = defaultdict(list)
    for row in reader:
        name = (row.get(file_column) or "").strip()
        captions = caption_lines(row.get(caption_column) or "")
        if name and captions:
            mapping[mapping_key(name)].extend(captions)
    return dict(mapping)
