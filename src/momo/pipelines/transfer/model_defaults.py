"""Transfer settings a model ships with (``config.json``'s ``extra.transfer_defaults``).

Which layers and steps mix best, the outputs' guidance, how many DDIM steps to take, whether
real motions should take the ``reuse_inversion`` path, whether outputs take a real leader's root
path as given (``leader_root_path``), keep its lower body (``leader_body``) or take the
follower's upper body (``follower_body``) depend on the model, so a model may carry its own
defaults::

    "extra": {"transfer_defaults": {"layers": [1, 2, 3, 4, 5], "steps": [10, 11, ..., 90],
                                    "num_steps": 100, "reuse_inversion": false}}

`momo.transfer` uses them for every option the caller leaves out (None); anything the caller
passes wins. A model without them (every official checkpoint) gets the library's defaults.
``reuse_inversion`` from the model applies only when every motion is real (prompts have no
inversion to reuse).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from momo.pipelines.stored_defaults import stored_defaults

if TYPE_CHECKING:
    from momo.models.bundle import MotionDiffusionModel

#: Key of the model's ``config.extra`` holding its transfer defaults.
TRANSFER_DEFAULTS = "transfer_defaults"
#: Options a model may set, and the JSON types each takes.
_KINDS: dict[str, str] = {
    "layers": "integers",
    "steps": "integers",
    "num_steps": "integer",
    "reuse_inversion": "boolean",
    "leader_root_path": "boolean",
    "inversion_corrections": "integer",
    "leader_body": "string",
    "leader_body_steps": "integers",
    "follower_body": "string",
    "follower_body_steps": "integers",
    "guidance_scale": "number",
}


def model_transfer_defaults(model: MotionDiffusionModel) -> dict[str, Any]:
    """The transfer defaults stored with ``model`` (empty when it has none), checked.

    Raises:
        TransferError: an unknown option or a value of the wrong type (the model's
            ``config.json`` is malformed).
    """
    return stored_defaults(model, TRANSFER_DEFAULTS, _KINDS)
