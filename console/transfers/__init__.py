"""A line's transfer numbers: the numbers outside the directory its listeners may transfer a call to (an interpreter),
each with the words callers hear, edited by the line's coordinators.

Here: the page and its form (views.py), the URL rule and its access rule (blueprint.py: admins and coordinators, within
their lines), the template. Not here: the checks (directory_data/transfers.py, the same as the line's file), where
a call may be transferred (routing/transfer.py), the transfer itself (ivr/transfers.py)."""
