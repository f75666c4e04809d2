"""The batch layout and the layers x timesteps schedule."""

from __future__ import annotations

import pytest
import torch

from momo.errors import TransferError
from momo.pipelines.transfer import TransferLayout, TransferSchedule, parse_span
from momo.pipelines.transfer.schedule import default_steps


def test_layout_rows_in_reference_order():
    layout = TransferLayout(num_followers=2, follower_copies=3)
    assert layout.num_rows == 1 + 2 * 3 + 2 == len(layout.rows)
    assert layout.num_input_rows == 7
    assert layout.leader_row == 0
    assert layout.follower_rows(0) == [1, 2, 3]
    assert layout.follower_rows(1) == [4, 5, 6]
    assert layout.output_rows == [7, 8]
    assert [r.label for r in layout.rows] == [
        "leader",
        "follower_0", "follower_0_copy1", "follower_0_copy2",
        "follower_1", "follower_1_copy1", "follower_1_copy2",
        "output_0", "output_1",
    ]  # fmt: skip
    with pytest.raises(IndexError):
        layout.output_row(2)


def test_layout_arrange_and_split_are_inverse():
    layout = TransferLayout(num_followers=2, follower_copies=2)
    rows = layout.arrange("L", ["a", "b"], lambda j: f"out{j}")
    assert rows == ["L", "a", "a", "b", "b", "out0", "out1"]
    rows = layout.arrange("L", [["a0", "a1"], ["b0", "b1"]], ["o0", "o1"], per_copy=True)
    split = layout.split(rows)
    assert split.leader == "L"
    assert split.followers == [["a0", "a1"], ["b0", "b1"]]
    assert split.outputs == ["o0", "o1"]
    assert layout.split_inputs(rows[: layout.num_input_rows]) == ("L", [["a0", "a1"], ["b0", "b1"]])
    with pytest.raises(ValueError):
        layout.arrange("L", ["a"], ["o0", "o1"])
    with pytest.raises(ValueError):
        TransferLayout(num_followers=0)


def test_mixing_indices_skip_output_rows_and_keep_extra_rows_plain():
    layout = TransferLayout(num_followers=2, follower_copies=2)
    idx = layout.mixing_indices(10, "cpu")  # 7 layout rows + 3 guidance copies
    assert idx.outputs.tolist() == [5, 6]
    assert idx.plain.tolist() == [0, 1, 2, 3, 4, 7, 8, 9]
    assert idx.follower_rows.tolist() == [[1, 2], [3, 4]]
    assert idx.plain[idx.followers_in_plain].tolist() == [[1, 2], [3, 4]]
    assert int(idx.plain[idx.leader_in_plain]) == 0
    assert not idx.outputs_last
    assert layout.mixing_indices(7, "cpu").outputs_last
    assert layout.mixing_indices(10, "cpu") is idx  # cached per batch size and device
    with pytest.raises(ValueError):
        layout.mixing_indices(6, "cpu")


def test_default_schedule():
    schedule = TransferSchedule.resolve(num_layers=12, num_timesteps=100)
    assert schedule.layers == tuple(range(1, 12))
    assert schedule.steps == tuple(range(10, 91))
    assert schedule.mixes_at(10) and schedule.mixes_at(90)
    assert not schedule.mixes_at(9) and not schedule.mixes_at(91)
    assert default_steps(10) == tuple(range(1, 10))
    assert default_steps(1000)[0] == 100 and default_steps(1000)[-1] == 900
    none = TransferSchedule.resolve(12, 100, layers=[])
    assert not any(none.mixes_at(t) for t in range(100))


@pytest.mark.parametrize(
    ("layers", "steps", "fragment"),
    [([12], None, "layers [12] out of range"), ([-1], None, "layers [-1]"),
     (None, [100], "steps [100] out of range"), (None, [-3, 5], "steps [-3]"),
     ("1:3", None, "sequences of integers")],
)  # fmt: skip
def test_schedule_out_of_range(layers, steps, fragment):
    with pytest.raises(TransferError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        TransferSchedule.resolve(12, 100, layers=layers, steps=steps)


def test_parse_span_follows_the_reference_convention():
    assert parse_span("1:-1", 12, "layers") == tuple(range(1, 12))
    assert parse_span("10:-10", 100, "steps") == tuple(range(10, 91))
    assert parse_span("10:90", 100, "steps") == tuple(range(10, 91))
    assert parse_span("0:", 4, "layers") == (0, 1, 2, 3)
    assert parse_span(":", 3, "layers") == (0, 1, 2)
    assert parse_span("5", 12, "layers") == (5,)
    assert parse_span("none", 12, "layers") == ()
    assert parse_span("all", 3, "layers") == (0, 1, 2)
    for bad, fragment in [("1:12", "outside 0..11"), ("x:3", "not an integer"), ("5:2", "before")]:
        with pytest.raises(TransferError, match=fragment):
            parse_span(bad, 12, "layers")


def test_layout_indices_follow_the_device_of_the_batch():
    layout = TransferLayout(1)
    idx = layout.mixing_indices(3, torch.device("cpu"))
    assert idx.plain.device.type == "cpu"
