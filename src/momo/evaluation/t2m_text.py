"""Text preparation of Guo et al.'s evaluator: GloVe vectors and part-of-speech one-hots.

A caption arrives as HumanML3D tokens ``word/POS`` (lemmas, spaCy tags). As the reference
dataset does, captions shorter than 20 tokens become ``sos + tokens + eos`` padded with ``unk``
to 22 tokens (the true length counts sos and eos); longer ones (20 included) are cut to 20 and
framed by sos/eos (length 22). Each token maps to its word vector and a 15-way POS one-hot: the
VIP class when the word is in one of the VIP lists, else its POS when known, else ``OTHER``; a
word missing from the vocabulary maps to the ``unk`` vector and ``OTHER`` (VIP or not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from momo.errors import EvaluationError, ModelLoadError
from momo.evaluation.safe_pickle import load_plain_pickle

#: POS classes and their one-hot index (the evaluator's ``POS_enumerator``).
POS_CLASSES: dict[str, int] = {
    "VERB": 0, "NOUN": 1, "DET": 2, "ADP": 3, "NUM": 4, "AUX": 5, "PRON": 6, "ADJ": 7,
    "ADV": 8, "Loc_VIP": 9, "Body_VIP": 10, "Obj_VIP": 11, "Act_VIP": 12, "Desc_VIP": 13,
    "OTHER": 14,
}  # fmt: skip
#: Words whose POS one-hot is their VIP class, checked in this order.
VIP_WORDS: dict[str, frozenset[str]] = {
    "Loc_VIP": frozenset(
        [
            "left",
            "right",
            "clockwise",
            "counterclockwise",
            "anticlockwise",
            "forward",
            "back",
            "backward",
            "up",
            "down",
            "straight",
            "curve",
        ]
    ),
    "Body_VIP": frozenset(
        [
            "arm",
            "chin",
            "foot",
            "feet",
            "face",
            "hand",
            "mouth",
            "leg",
            "waist",
            "eye",
            "knee",
            "shoulder",
            "thigh",
        ]
    ),
    "Obj_VIP": frozenset(
        [
            "stair",
            "dumbbell",
            "chair",
            "window",
            "floor",
            "car",
            "ball",
            "handrail",
            "baseball",
            "basketball",
        ]
    ),
    "Act_VIP": frozenset(
        [
            "walk",
            "run",
            "swing",
            "pick",
            "bring",
            "kick",
            "put",
            "squat",
            "throw",
            "hop",
            "dance",
            "jump",
            "turn",
            "stumble",
            "stop",
            "sit",
            "lift",
            "lower",
            "raise",
            "wash",
            "stand",
            "kneel",
            "stroll",
            "rub",
            "bend",
            "balance",
            "flap",
            "jog",
            "shuffle",
            "lean",
            "rotate",
            "spin",
            "spread",
            "climb",
        ]
    ),
    "Desc_VIP": frozenset(
        [
            "slowly",
            "carefully",
            "fast",
            "careful",
            "slow",
            "quickly",
            "happy",
            "angry",
            "sad",
            "happily",
            "angrily",
            "sadly",
        ]
    ),
}
#: Longest caption in tokens before sos/eos; the padded caption has this + 2 tokens.
MAX_TEXT_TOKENS = 20
PADDED_TEXT_TOKENS = MAX_TEXT_TOKENS + 2


def frame_tokens(tokens: Sequence[str]) -> tuple[list[str], int]:
    """Frame a caption with sos/eos and pad (or cut) it to 22 tokens, as the reference dataset.

    Returns:
        the 22 tokens and the true caption length (sos and eos included; 22 when cut).
    """
    if isinstance(tokens, str):
        raise EvaluationError(
            "a caption must be a sequence of 'word/POS' tokens, not one string; "
            "HumanML3D's texts/*.txt hold them after the first '#'"
        )
    tokens = list(tokens)
    if not tokens:
        raise EvaluationError("a caption has no tokens; pass at least one 'word/POS' token")
    if len(tokens) < MAX_TEXT_TOKENS:
        framed = ["sos/OTHER", *tokens, "eos/OTHER"]
        length = len(framed)
        return framed + ["unk/OTHER"] * (PADDED_TEXT_TOKENS - length), length
    return ["sos/OTHER", *tokens[:MAX_TEXT_TOKENS], "eos/OTHER"], PADDED_TEXT_TOKENS


def split_token(token: str) -> tuple[str, str]:
    """``'word/POS'`` -> ``(word, POS)``; the POS is what follows the last ``/``."""
    if not isinstance(token, str) or "/" not in token:
        raise EvaluationError(
            f"token {token!r} is not of the form 'word/POS'; pass HumanML3D tokens such as "
            "'walk/VERB'"
        )
    word, _, pos = token.rpartition("/")
    return word, pos


@dataclass(frozen=True)
class WordVectors:
    """The evaluator's GloVe vocabulary: ``vectors[row[word]]`` is a word's 300-d vector."""

    vectors: np.ndarray
    row: dict[str, int]

    @classmethod
    def load(cls, glove_dir: str | Path, prefix: str = "our_vab") -> WordVectors:
        """Read ``{prefix}_data.npy``, ``{prefix}_words.pkl`` and ``{prefix}_idx.pkl``.

        The vocabulary is the word list; each word's vector is the row the index dict names
        (the two orders differ). The pickles are read without running code.

        Raises:
            ModelLoadError: a file is missing or malformed, or a word has no valid row.
        """
        glove_dir = Path(glove_dir)
        data_path = glove_dir / f"{prefix}_data.npy"
        if not data_path.is_file():
            raise ModelLoadError(f"{data_path} not found; the evaluator folder must contain it")
        try:
            vectors = np.load(data_path, allow_pickle=False)
        except ValueError as exc:
            raise ModelLoadError(f"{data_path} is not a plain .npy array ({exc})") from None
        if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.floating):
            raise ModelLoadError(f"{data_path} must hold a float [words, dim] array")
        words = load_plain_pickle(glove_dir / f"{prefix}_words.pkl")
        index = load_plain_pickle(glove_dir / f"{prefix}_idx.pkl")
        if not isinstance(words, list) or not isinstance(index, dict):
            raise ModelLoadError(
                f"{glove_dir}: {prefix}_words.pkl must hold a list and {prefix}_idx.pkl a dict"
            )
        row: dict[str, int] = {}
        for word in words:
            position = index.get(word)
            if not isinstance(word, str) or not isinstance(position, int):
                raise ModelLoadError(f"{glove_dir}: word {word!r} has no row in {prefix}_idx.pkl")
            if not 0 <= position < len(vectors):
                raise ModelLoadError(
                    f"{glove_dir}: word {word!r} points to row {position}, but "
                    f"{prefix}_data.npy has {len(vectors)} rows"
                )
            row[word] = position
        if "unk" not in row:
            raise ModelLoadError(f"{glove_dir}: the vocabulary lacks the 'unk' word")
        return cls(vectors=vectors, row=row)

    @property
    def dim(self) -> int:
        """Width of a word vector."""
        return int(self.vectors.shape[1])

    def lookup(self, token: str) -> tuple[int, int]:
        """Row of the word vector and POS one-hot index of one ``word/POS`` token."""
        word, pos = split_token(token)
        position = self.row.get(word)
        if position is None:
            return self.row["unk"], POS_CLASSES["OTHER"]
        for vip, members in VIP_WORDS.items():
            if word in members:
                return position, POS_CLASSES[vip]
        return position, POS_CLASSES.get(pos, POS_CLASSES["OTHER"])


@dataclass(frozen=True)
class PreparedTexts:
    """Captions ready for the text encoder (B captions of 22 tokens).

    Attributes:
        word_rows: int64 ``[B, 22]`` rows of the word-vector table.
        pos_index: int64 ``[B, 22]`` POS one-hot indices.
        lengths: int64 ``[B]`` caption lengths the text GRU runs over.
    """

    word_rows: np.ndarray
    pos_index: np.ndarray
    lengths: np.ndarray


def prepare_texts(
    captions: Sequence[Sequence[str]], words: WordVectors, *, padded_length: bool = False
) -> PreparedTexts:
    """Frame, pad and look up captions of ``word/POS`` tokens.

    Args:
        captions: B captions, each a sequence of tokens.
        words: the evaluator's vocabulary.
        padded_length: run the text GRU over all 22 tokens, the padding included (MoMo's
            transfer benchmark does this: its caption length is always 22); default the true
            length.
    """
    if isinstance(captions, str):
        raise EvaluationError("pass a list of captions, each a list of 'word/POS' tokens")
    rows, pos, lengths = [], [], []
    for caption in captions:
        framed, length = frame_tokens(caption)
        looked_up = [words.lookup(token) for token in framed]
        rows.append([r for r, _ in looked_up])
        pos.append([p for _, p in looked_up])
        lengths.append(PADDED_TEXT_TOKENS if padded_length else length)
    shape = (len(rows), PADDED_TEXT_TOKENS)
    return PreparedTexts(
        word_rows=np.asarray(rows, dtype=np.int64).reshape(shape),
        pos_index=np.asarray(pos, dtype=np.int64).reshape(shape),
        lengths=np.asarray(lengths, dtype=np.int64),
    )
