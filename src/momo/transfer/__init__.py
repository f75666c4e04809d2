"""MoMo motion transfer: batch layout, mixing schedule, mixed attention and the pipeline."""
