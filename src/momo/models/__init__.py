"""The denoiser (MDM / MoMo transformer), attention processors, text encoders and checkpoint loading."""
