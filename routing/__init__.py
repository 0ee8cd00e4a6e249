"""The decision engine, pure: the overflow chain, chain validation, département and association resolution, queue
and listener selection, staffing, coverage and queue metrics. Takes plain objects and an explicit `now`.

May import schedules/ and phones/. Must not import Flask, SQLAlchemy or any other project package."""
