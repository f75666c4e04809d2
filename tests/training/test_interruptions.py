"""Training stopped by Ctrl-C, SIGKILL leftovers, torn logs and finished runs."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import torch
from test_loop import _config

from momo.data.dataset import TrainingSet
from momo.data.synthetic import synthetic_cache
from momo.errors import ConfigError
from momo.training.checkpoint import checkpoint_dir, load_checkpoint
from momo.training.loop import Trainer


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    return TrainingSet(synthetic_cache(num_clips=8, min_frames=45, max_frames=70), max_frames=56)


@pytest.fixture(scope="module")
def straight(tmp_path_factory, data) -> Trainer:
    trainer = Trainer(_config(steps=6), data, tmp_path_factory.mktemp("straight"))
    trainer.train(progress=False)
    return trainer


class _Interrupting:
    """The training set, with an interruption while the batch of step ``at`` is drawn."""

    def __init__(self, data: TrainingSet, at: int, how: str) -> None:
        self._data, self._at, self._how, self._calls = data, at, how, 0

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._data, name)

    def sample_batch(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        batch = self._data.sample_batch(*args, **kwargs)  # the data generator has moved on
        self._calls += 1
        if self._calls == self._at:
            if self._how == "signal":
                signal.raise_signal(signal.SIGINT)  # a real Ctrl-C, in the middle of the step
            else:
                raise KeyboardInterrupt  # a second Ctrl-C: stops at once
        return batch


def _assert_same_weights(a: Trainer, b: Trainer) -> None:
    # Same process, same thread count, same operations: the runs are the same computation.
    for name, value in a.denoiser.state_dict().items():
        torch.testing.assert_close(b.denoiser.state_dict()[name], value, rtol=0, atol=0)
    for name, value in a.ema.state_dict().items():
        torch.testing.assert_close(b.ema.state_dict()[name], value, rtol=0, atol=0)


@pytest.mark.parametrize(("how", "saved_step"), [("signal", 4), ("raise", 3)])
def test_resume_after_an_interrupted_step_equals_an_uninterrupted_run(
    tmp_path: Path, data: TrainingSet, straight: Trainer, how: str, saved_step: int
) -> None:
    config = _config(steps=6)  # checkpoints every 3 steps
    run = tmp_path / "run"
    first = Trainer(config, _Interrupting(data, at=4, how=how), run)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt):
        first.train(progress=False)
    # A Ctrl-C finishes step 4 and saves it; a hard stop inside step 4 keeps step 3's.
    assert load_checkpoint(checkpoint_dir(run) / "last.pt").step == saved_step
    assert first.checkpoint_step == saved_step
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    second = Trainer(config, data, run, resume=True)
    assert second.step == saved_step
    second.train(progress=False)
    _assert_same_weights(straight, second)


def test_stale_temporaries_are_removed_and_a_torn_log_line_is_dropped(
    tmp_path: Path, data: TrainingSet, straight: Trainer
) -> None:
    config = _config(steps=6)
    run = tmp_path / "run"
    Trainer(config, data, run).train(stop_at_step=3, progress=False)
    # What SIGKILL leaves: hidden temporary files of atomic writes, a half-written log line.
    stale = [checkpoint_dir(run) / ".last.tmp1234abcd.pt", run / ".config.tmpx9y8z7.json"]
    for path in stale:
        path.write_bytes(b"partial")
    with open(run / "log.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"step": 4, "lo')
    resumed = Trainer(config, data, run, resume=True)
    resumed.train(progress=False)
    assert not any(path.exists() for path in stale)
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 3, 4, 6]
    _assert_same_weights(straight, resumed)


def test_resuming_a_run_past_its_steps_says_so(tmp_path: Path, data: TrainingSet) -> None:
    run = tmp_path / "run"
    Trainer(_config(steps=4), data, run).train(progress=False)
    with pytest.raises(ConfigError, match="already at step 4, past the 2 steps"):
        Trainer(_config(steps=2), data, run, resume=True).train(progress=False)


def test_a_damaged_checkpoint_is_a_clear_error(tmp_path: Path, data: TrainingSet) -> None:
    from momo.errors import MomoError

    run = tmp_path / "run"
    Trainer(_config(steps=1), data, run).train(progress=False)
    last = checkpoint_dir(run) / "last.pt"
    state = torch.load(last, weights_only=True)
    for damage in ({"step": 1.5}, {"rng": {}}, {"model": 3}):
        torch.save({**state, **damage}, last)
        with pytest.raises(MomoError, match="is damaged"):
            Trainer(_config(steps=2), data, run, resume=True)
