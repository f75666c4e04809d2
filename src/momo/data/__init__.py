"""Training data from BVH / DeepMimic archives: captions, windows, mirroring, statistics."""
