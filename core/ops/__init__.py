"""Operations: health checks, metrics and alert rules."""
