"""The JSON a page sends to start a transfer, validated before anything runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Most followers and follower copies one job may ask for (each adds a batch row).
MAX_FOLLOWERS = 8
MAX_COPIES = 8


class InputRequest(BaseModel):
    """A leader or follower: an uploaded motion (``upload``, optional caption ``text``) or a
    prompt (``text`` alone)."""

    model_config = ConfigDict(extra="forbid")

    upload: str | None = Field(None, max_length=32)
    text: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _motion_or_text(self) -> InputRequest:
        if self.upload is None and not (self.text or "").strip():
            raise ValueError("give an uploaded motion or a prompt")
        return self


class SettingsRequest(BaseModel):
    """Transfer settings, named and defaulted as `momo transfer`'s options (None: its default)."""

    model_config = ConfigDict(extra="forbid")

    layers: str | None = Field(None, max_length=32)
    steps: str | None = Field(None, max_length=32)
    guidance: float | None = Field(None, ge=0.0, le=50.0)
    follower_copies: int = Field(1, ge=1, le=MAX_COPIES)
    frames: int | None = Field(None, ge=2, le=10_000)
    seed: int | None = Field(None, ge=0, lt=2**63)
    sampling_steps: int | None = Field(None, ge=1, le=100_000)
    reuse_inversion: bool = False
    crop: bool = False
    video: bool = True
    # Rig of the .bvh downloads (None: the leader's own when it is a BVH file, else smpl).
    skeleton: Literal["leader", "follower", "smpl"] | None = None
    fix_feet: bool = False


class JobRequest(BaseModel):
    """A transfer: one leader, one or more followers, settings."""

    model_config = ConfigDict(extra="forbid")

    leader: InputRequest
    followers: list[InputRequest] = Field(min_length=1, max_length=MAX_FOLLOWERS)
    settings: SettingsRequest = Field(default_factory=SettingsRequest)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One line from pydantic's errors: ``field.path: message; ...``."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", ""))
    return "; ".join(parts) or "invalid request"
