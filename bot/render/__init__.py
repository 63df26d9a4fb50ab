"""The bot's presenter: pure functions from typed results to Telegram HTML, keyboards and PNG charts.

Nothing here sends, reads a clock, a database or the network: handlers and jobs call a service and
hand the typed result to a template, which returns a :class:`~bot.render.message.Reply` (HTML text and an
optional inline keyboard) or a :class:`~bot.render.message.PhotoReply`.

Modules, by command family:
    text           escaping, numbers, money, times, monospace tables
    split          Telegram lengths (UTF-16 after entity parsing), splitting, captions
    message        Reply / PhotoReply
    callbacks      versioned callback data (encode / decode)
    keyboards      inline keyboards
    notifications  notification types and modes (/settings)
    help           /start, /help, usage, unknown command, refusal, /whoami
    commentary     the labelled commentary paragraph (Claude vs the automatic summary)
    market         pre-market brief, /chain (+ its chart photo), /vol, snapshot freshness
    suggestions    suggestion message, details, decision and status edits, /pending, /scan, payoff photo
    positions      /positions, close confirmation, close result, payoff photo
    pnl            /pnl text and the equity-curve photo
    risk           /drawdown, reset confirmation and result
    history        /history, /audit
    settings       /settings
    alerts         push alerts and the end-of-day / weekly summaries
    charts         payoff, IV smile + OI, equity curve (matplotlib Agg → PNG bytes)
    health         reserved for /health (its report type does not exist yet)
"""
