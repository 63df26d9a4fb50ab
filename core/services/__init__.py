"""The service layer: the use cases every front end (bot, CLI, scheduler, demo, replay) calls."""
