"""The Twilio side: signed voice webhooks, the conversation a call goes through, prompts, the queue and callback
legs, presence by phone, the coordinators' service number, the REST client and the terminal call simulator.

May import store/, directory_data/, routing/, schedules/ and phones/. Must not import console/, jobs/, commands/
or app.py. Its blueprints are registered by the factory through ivr.blueprints.register_ivr; a module never adds
routes to another module's blueprint by being imported."""
