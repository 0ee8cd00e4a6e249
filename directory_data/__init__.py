"""The shipped directory: YAML files (lines, centres, départements, associations, services, prompts) and the pure
code that reads, checks, builds and writes them.

May import routing/, schedules/ and phones/. Must not import Flask, SQLAlchemy, store/ or anything above it."""
