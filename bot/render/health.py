"""Reserved for /health (not built here: its report type is not settled yet).

When the report exists (data sources with their breakers and last success, scheduler jobs, the outbox,
the database, the Kite session, the NSE calendar coverage, the LLM budget), its template goes here as
``health_view(report) -> Reply`` like the other modules: a pure function of the typed report, every
dynamic string escaped, tables ≤ 40 columns in ``<pre>``, times in IST, and a golden file
tests/bot/render/golden/health.html. The command is already listed (admin role) in
``bot.render.help.COMMANDS``.
"""
