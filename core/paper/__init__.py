"""The paper trading engine: fills, charges, exits, risk and the audit trail."""
