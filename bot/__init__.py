"""niftybot's Telegram front end: a thin presenter over the core's services."""

import os

# PTB 22 warns when a time period (e.g. RetryAfter.retry_after) is read as a number; opt in to the
# timedelta behaviour it will use by default, before telegram is imported anywhere.
os.environ.setdefault("PTB_TIMEDELTA", "true")
