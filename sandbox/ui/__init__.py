"""The demo dashboard at /_sandbox/ui: server-rendered pages over the sandbox's own services.

No build step and nothing from a CDN: Jinja2 templates (templates/), one CSS and one small script
(static/). Pages read the store directly; buttons post HTML forms that call the same services the
control API calls, then redirect back (post/redirect/get) with a message in the query string. The
ControlGate guards it like every other /_sandbox path; the request journal and the fault rules only
ever look at /partner/ requests, so the dashboard's own traffic never shows up in them.
"""
