"""Independent checks that play the engine as Twilio would, written without the project's own test helpers."""
