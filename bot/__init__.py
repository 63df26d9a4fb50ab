"""niftybot's Telegram front end: a thin presenter over the core's services."""
