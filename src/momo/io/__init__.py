"""Motion files in and out: BVH, DeepMimic, HumanML3D .npy, stick-figure video."""
