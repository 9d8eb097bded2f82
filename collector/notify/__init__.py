"""Notifications after a report: a short summary to a webhook, ntfy, Gotify or Slack.

- ``settings`` the ``[[notify]]`` config entries (validated like the rest of the config)
- ``message``  what is said: counts, new and resolved findings, where the report is
- ``send``     how it is said to each kind of target, with a timeout and one retry

A notification that fails is reported as a warning; it never affects the report, the history or
the exit code.
"""
