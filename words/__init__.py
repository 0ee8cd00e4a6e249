"""The words coordinators read, in French (the default) and English: the PO catalogues (translations/) and the
schedule's state in words (open or closed, why, until when) that the console shows and the audit log keeps, whether
the console or the coordinators' phone line made the change.

Pure: the language is passed in (the console picks it from the signed-in account); no Flask, no database. Imports
only the pure cores below it (schedules); the console and the coordinators' phone line (ivr/) use it.
"""
