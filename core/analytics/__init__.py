"""Pure numeric kernels: pricing, IV, Greeks, chain analytics, indicators, vol distribution, validators."""
