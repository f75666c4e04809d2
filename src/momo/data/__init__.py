"""Training data from BVH / DeepMimic archives: captions, windows, mirroring, statistics.

- `labels`: content/style labels of Bandai Namco and DeepMimic clips, left/right mirroring.
- `captions`: captions written from labels with varied templates.
- `splits`: the held-out test split by clip (seeded, stratified by label).
- `windows`: 2-8 s windows over whole-clip feature arrays and random crops.
- `statistics`: Mean/Std of the train split (HumanML3D's grouped Std).
- `build`: import, features, mirrored copies, captions and text embeddings -> one cache file.
- `folder` / `sidecars`: the same build from a user's folder of captioned motion files.
- `cache`: the cache file format (`DataCache`); `card`: clips and hours per label and split.
- `dataset`: `TrainingSet`, batches of normalised windows, frame masks and cached text.
- `synthetic`: a tiny random cache for tests and smoke runs.
"""
