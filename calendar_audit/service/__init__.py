"""The service (`calendar-audit serve`): web pages behind Microsoft sign-in, kept current by scheduled syncs.

A face over the library, like ``cli.py``: ``app.py`` builds the routes, ``auth.py`` signs people in and keeps their
sessions, ``roles.py`` decides who sees what, ``views.py`` turns a request into template context through the same
calls the commands make, ``scheduler.py`` syncs the store, ``records.py`` keeps the service's own rows.
"""
