"""Cases relayed to a centre (issue 14 §3): the relay form after a call, the referents' list and case pages.

Here: the pages (views.py), who may open a call or a case and the audit of every read (access.py), the relay
and note forms (forms.py), a case in words (words.py), templates and URL rules (blueprint.py: admins,
coordinators, referents, and listeners for the calls they took). Not here: cases in the database
(store/cases.py, store/case_callbacks.py), reading the number from Twilio and ringing the referent
(ivr/case_relay.py). A caller's number is never shown or typed here.
"""
