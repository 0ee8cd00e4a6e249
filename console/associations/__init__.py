"""The directory of local victim-support associations, and coordinators' phone access to the service line.

Here: the association pages (views.py) and form (forms.py), the phone access page (phone_views.py),
templates and URL rules (blueprint.py: admins and coordinators; a
coordinator edits the associations of their centres' départements). Not here: the association file checks
(directory_data/associations.py), their rows (store/associations.py), the phone line itself (ivr/coordinator.py).
"""
