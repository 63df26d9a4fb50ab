"""Paper trading: fills with slippage (:mod:`.fills`) and charges from dated rates (:mod:`.charges`)."""
