"""The model options that `momo generate`, `momo transfer` and `momo analyze` share."""

from __future__ import annotations

from pathlib import Path

import pytest

from momo.cli.common import load_model_arg
from momo.cli.main import build_parser

#: The required arguments of each command that loads a diffusion model.
COMMANDS = {
    "generate": ["generate", "--text", "a person walks", "--out", "out"],
    "transfer": ["transfer", "--leader", "a person walks", "--follower", "x", "--out", "out"],
    "analyze": ["analyze", "--leader", "a person walks", "--follower", "x", "--out", "out"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_model_options_defaults_and_values(command: str) -> None:
    parser = build_parser()
    args = parser.parse_args(COMMANDS[command])
    assert (args.model, args.normalization, args.device) == ("default", None, "cpu")
    args = parser.parse_args(
        COMMANDS[command] + ["--model", "ckpt/model000.pt", "--normalization", "stats"]
        + ["--device", "cuda:1"]
    )  # fmt: skip
    assert (args.model, args.normalization, args.device) == ("ckpt/model000.pt", "stats", "cuda:1")


def test_load_model_arg_reports_a_missing_model(tmp_path: Path) -> None:
    missing = tmp_path / "no_model"
    args = build_parser().parse_args(COMMANDS["generate"] + ["--model", str(missing)])
    with pytest.raises(FileNotFoundError, match="no_model"):
        load_model_arg(args)
