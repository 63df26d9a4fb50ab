"""Strategies: defined-risk structures built from the live chain (:mod:`.structures`), strike
selection (:mod:`.strikes`), legs and quotes from chain rows (:mod:`.legs`) and the margin model
(:mod:`.margin`). Algorithms that choose among structures build on these."""
