"""Attention analysis: captured queries/keys, clustering, correspondences, mechanism numbers.

- `capture` / `batch_capture`: per-frame self-attention Q, K, V of one or many motions;
- `clustering`, `correspondence`, `report`: one leader/follower pair, as figures;
- `outline`, `known_pairs`, `cluster_scores`, `mechanism`, `mechanism_report`, `clips`: the
  paper's two claims measured over many clips (outline vs motif AMI per layer and timestep,
  correspondence accuracy against known frame mappings).
"""
