"""Import a BVH file with Blender's own importer, headless, and print what Blender sees.

Run (not part of the test suite; needs a Blender install):

    blender --background --factory-startup --python-exit-code 1 \
        --python scripts/blender_import_check.py -- OUT.bvh [MORE.bvh ...]

For each file it prints the armature's bone count, the bones (name, parent, length), the
action's frame range and the scene's frame rate, and exits non-zero if an import fails.

Blender builds that run on Python 3.11 with a BVH importer still opening files with mode
``'rU'`` (removed from Python in 3.11; e.g. Debian's Blender 3.4 package) fail before reading
anything; this script gives that importer module an ``open`` that drops the ``U``.
"""

from __future__ import annotations

import builtins
import sys

import bpy  # type: ignore[import-not-found]


def _open_without_universal_newlines(file, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    return builtins.open(file, mode.replace("U", ""), *args, **kwargs)


def _importer_module():  # noqa: ANN202
    """Blender's BVH import module (the add-on is enabled on demand)."""
    import addon_utils  # type: ignore[import-not-found]

    addon_utils.enable("io_anim_bvh", default_set=True)
    from io_anim_bvh import import_bvh  # type: ignore[import-not-found]

    return import_bvh


def check(path: str) -> None:
    """Import ``path`` into an empty scene and print its bones and frame range."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    import_bvh = _importer_module()
    import_bvh.open = _open_without_universal_newlines  # see the module docstring
    result = bpy.ops.import_anim.bvh(
        filepath=path, update_scene_fps=True, update_scene_duration=True
    )
    if "FINISHED" not in result:
        raise RuntimeError(f"{path}: import returned {result}")
    armature = next(o for o in bpy.context.scene.objects if o.type == "ARMATURE")
    bones = armature.data.bones
    action = armature.animation_data.action if armature.animation_data else None
    start, end = action.frame_range if action else (None, None)
    scene = bpy.context.scene
    print(f"{path}: {len(bones)} bones, frames {start:g}..{end:g}, "
          f"{scene.render.fps / scene.render.fps_base:g} fps")  # fmt: skip
    for bone in bones:
        parent = bone.parent.name if bone.parent else "-"
        print(f"  {bone.name:<24} parent {parent:<24} length {bone.length:.4f}")


def main() -> int:
    paths = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    if not paths:
        print("usage: blender -b -P scripts/blender_import_check.py -- FILE.bvh [...]")
        return 2
    for path in paths:
        check(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
