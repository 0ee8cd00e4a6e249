"""Work that runs off the phone path: the APScheduler process and its periodic jobs, and the email outbox.

What lives here may use the webhooks' helpers (the sweep), the store and the pure cores; nothing below it
(`store/`, `routing/`, `schedules/`, `directory_data/`) and no web module imports it."""
