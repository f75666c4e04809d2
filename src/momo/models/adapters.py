"""Low-rank adapters (LoRA) on the attention projections of a denoiser.

An adapter adds ``scale * (alpha / rank) * B @ A`` to the fused query/key/value projection
(``in_proj_weight`` [3d, d]) and to the output projection (``out_proj.weight`` [d, d]) of every
`momo.models.attention.Attention` module (self- and cross-attention), with ``A`` [r, d_in] and
``B`` [d_out, r]; ``B`` starts at zero, so a new adapter leaves the model unchanged. It is
installed with ``torch.nn.utils.parametrize``: the weight an attention module reads becomes
"base weight + adapter updates", so every attention processor (plain, capture, MoMo's mixing
processors) sees the adapted weights without knowing about adapters, and the base weights are
never modified. Several adapters stack on the same weights; each has its own ``scale``, which
can be changed (0 switches it off) at inference.

Why our own layer and not ``peft``: peft's LoRA wraps ``nn.Linear`` sub-modules, but the
query/key/value projection of `Attention` is a raw fused parameter (``in_proj_weight``, kept in
`nn.MultiheadAttention`'s layout so official checkpoints load unchanged) that processors slice
and pass to ``F.linear`` themselves; wrapping it would mean replacing the module, which the
processors and checkpoint loading rely on. A parametrization is torch's own mechanism for
exactly this (a function of a parameter), and takes a few lines.

File format (``.safetensors``): tensors ``{module}.{weight}.lora_A`` / ``.lora_B`` and metadata
``momo_adapter`` (JSON: format, version, rank, alpha, the base denoiser's shape).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from momo.errors import ModelLoadError, MomoError
from momo.models.attention import Attention
from momo.utils.files import atomic_output

FORMAT = "momo-motion-adapter"
FORMAT_VERSION = 1
#: The adapted weights of each attention module.
TARGETS: tuple[str, ...] = ("in_proj_weight", "out_proj.weight")


class LoRAUpdate(nn.Module):
    """The parametrization ``W -> W + scale * (alpha / rank) * B @ A`` of one weight.

    Args:
        out_features / in_features: the weight's shape.
        rank: r.
        alpha: the update is multiplied by ``alpha / rank``.
    """

    def __init__(self, out_features: int, in_features: int, rank: int, alpha: float) -> None:
        super().__init__()
        self.rank = rank
        self.alpha = alpha
        self.scale = 1.0
        self.lora_A = nn.Parameter(torch.empty(rank, in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def delta(self) -> Tensor:
        """The weight update [out, in] at the current scale."""
        return (self.scale * self.alpha / self.rank) * (self.lora_B @ self.lora_A)

    def forward(self, weight: Tensor) -> Tensor:
        """The adapted weight."""
        if self.scale == 0.0:
            return weight
        return weight + self.delta().to(weight.dtype)


@dataclass(frozen=True)
class AdapterConfig:
    """Shape of an adapter.

    Attributes:
        rank: r of every update.
        alpha: updates are scaled by ``alpha / rank`` (the usual LoRA convention).
    """

    rank: int = 4
    alpha: float = 4.0

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise MomoError(f"the adapter rank must be at least 1, got {self.rank}")


def attention_modules(denoiser: nn.Module) -> dict[str, Attention]:
    """Every attention module of ``denoiser`` by its qualified name."""
    return {name: m for name, m in denoiser.named_modules() if isinstance(m, Attention)}


def _owner(module: Attention, target: str) -> tuple[nn.Module, str]:
    """(module holding the weight, its attribute name) for a target such as "out_proj.weight"."""
    *path, attribute = target.split(".")
    owner: nn.Module = module
    for part in path:
        owner = getattr(owner, part)
    return owner, attribute


class Adapter(nn.Module):
    """One adapter: an update per target weight of every attention module of a denoiser.

    Args:
        denoiser: the network to adapt (shapes are read from it; nothing is attached yet).
        config: rank and alpha.
    """

    def __init__(self, denoiser: nn.Module, config: AdapterConfig | None = None) -> None:
        super().__init__()
        self.config = config or AdapterConfig()
        self.updates = nn.ModuleDict()
        for name, module in attention_modules(denoiser).items():
            for target in TARGETS:
                owner, attribute = _owner(module, target)
                out_features, in_features = _base_weight(owner, attribute).shape
                update = LoRAUpdate(out_features, in_features, self.config.rank, self.config.alpha)
                self.updates[_key(name, target)] = update
        if not self.updates:
            raise MomoError("the model has no attention module to adapt")

    @property
    def scale(self) -> float:
        """The scale of every update (0: off, 1: as trained)."""
        return next(iter(self.updates.values())).scale  # type: ignore[union-attr]

    @scale.setter
    def scale(self, value: float) -> None:
        for update in self.updates.values():
            update.scale = float(value)  # type: ignore[union-attr]

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the adapter's weights atomically to a ``.safetensors`` file."""
        from safetensors.torch import save_file

        path = Path(path)
        tensors = {
            f"{key}.{part}": getattr(update, part).detach().cpu().contiguous()
            for key, update in self.updates.items()
            for part in ("lora_A", "lora_B")
        }
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rank": self.config.rank,
            "alpha": self.config.alpha,
        }
        with atomic_output(path, overwrite=overwrite) as tmp:
            save_file(tensors, str(tmp), metadata={"momo_adapter": json.dumps(meta)})
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], denoiser: nn.Module) -> Adapter:
        """Read an adapter written by :meth:`save` for ``denoiser``'s architecture.

        Raises:
            FileNotFoundError: no such file.
            ModelLoadError: not an adapter file, or made for another architecture.
        """
        from safetensors import SafetensorError, safe_open

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"adapter file not found: {path}")
        try:
            with safe_open(str(path), framework="pt") as handle:
                raw = (handle.metadata() or {}).get("momo_adapter")
                tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
        except (SafetensorError, OSError) as error:
            raise ModelLoadError(f"{path} is not a readable safetensors file: {error}") from error
        meta = json.loads(raw) if raw else {}
        if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(f"{path} is not a momo adapter file (v{FORMAT_VERSION})")
        adapter = cls(denoiser, AdapterConfig(int(meta["rank"]), float(meta["alpha"])))
        expected = adapter.state_dict()
        renamed = {f"updates.{key}": value for key, value in tensors.items()}
        if set(renamed) != set(expected) or any(
            renamed[k].shape != expected[k].shape for k in expected
        ):
            raise ModelLoadError(
                f"{path} was trained for another architecture than this model's "
                f"({len(tensors)} tensors, this model needs {len(expected)} of other shapes)"
            )
        adapter.load_state_dict(renamed)
        return adapter


def _key(module_name: str, target: str) -> str:
    """A ModuleDict key (no dots) for a module and target weight."""
    return f"{module_name}.{target}".replace(".", "__")


def _base_weight(owner: nn.Module, attribute: str) -> Tensor:
    if parametrize.is_parametrized(owner, attribute):
        return owner.parametrizations[attribute].original  # type: ignore[index,union-attr]
    return getattr(owner, attribute)


def _updates_of(
    adapter: Adapter, denoiser: nn.Module
) -> Iterator[tuple[nn.Module, str, nn.Module]]:
    modules = attention_modules(denoiser)
    for name, module in modules.items():
        for target in TARGETS:
            owner, attribute = _owner(module, target)
            yield owner, attribute, adapter.updates[_key(name, target)]


def attach_adapter(denoiser: nn.Module, adapter: Adapter, scale: float = 1.0) -> Adapter:
    """Install ``adapter`` on ``denoiser`` at ``scale`` (stacked on any adapters already there).

    The adapter's parameters are moved to the denoiser's device and dtype. Returns the adapter
    (change ``adapter.scale`` later to scale or switch it off).
    """
    reference = next(denoiser.parameters())
    adapter.to(device=reference.device, dtype=reference.dtype)
    adapter.scale = scale
    for owner, attribute, update in _updates_of(adapter, denoiser):
        parametrize.register_parametrization(owner, attribute, update)
    return adapter


def detach_adapters(denoiser: nn.Module) -> None:
    """Remove every adapter from ``denoiser``, leaving its base weights as they were."""
    for module in attention_modules(denoiser).values():
        for target in TARGETS:
            owner, attribute = _owner(module, target)
            if parametrize.is_parametrized(owner, attribute):
                parametrize.remove_parametrizations(owner, attribute, leave_parametrized=False)


def parse_adapter_spec(spec: str) -> tuple[Path, float]:
    """``"FILE"`` or ``"FILE:SCALE"`` -> (path, scale) (a trailing ``:number`` is the scale).

    Raises:
        MomoError: if the scale is not a finite number.
    """
    path, sep, tail = spec.rpartition(":")
    if not sep or not path or "/" in tail or "\\" in tail:
        return Path(spec), 1.0
    try:
        scale = float(tail)
    except ValueError:
        return Path(spec), 1.0
    if not math.isfinite(scale):
        raise MomoError(f"adapter scale must be a finite number, got {tail!r} in {spec!r}")
    return Path(path), scale


#: What `load_adapters` takes per adapter: a path, "FILE:SCALE", or (path, scale).
AdapterSpec = str | os.PathLike[str] | tuple[str | os.PathLike[str], float]


def load_adapters(denoiser: nn.Module, adapters: Iterable[AdapterSpec]) -> list[Adapter]:
    """Load and attach adapters: each a path, ``"FILE:SCALE"``, or a ``(path, scale)`` pair.

    Raises:
        FileNotFoundError / ModelLoadError: see :meth:`Adapter.load`.
    """
    loaded = []
    for item in adapters:
        if isinstance(item, tuple):
            path, scale = Path(item[0]), float(item[1])
        else:
            path, scale = parse_adapter_spec(os.fspath(item))
        loaded.append(attach_adapter(denoiser, Adapter.load(path, denoiser), scale))
    return loaded
