"""Reserved for /health.

The health report type (data sources with their breakers and last success, scheduler jobs, the
database, the Kite session, the NSE calendar coverage, the LLM budget) does not exist yet. When it does,
its template goes here as ``health_view(report) -> Reply`` following the other modules: a pure function
of the typed report, every dynamic string escaped, tables ≤ 40 columns in ``<pre>``, times in IST, a
golden file in tests/bot/render/golden/health.html. The command is already listed (admin role) in
``bot.render.help.COMMANDS``.
"""
