"""The HumanML3D motion representation: skeleton, features <-> joints, normalisation, mirroring."""
