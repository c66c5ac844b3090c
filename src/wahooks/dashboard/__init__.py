"""The dashboard at /dashboard: server-rendered pages for tenants, Apps and the operator.

An entry point like ``api/``: its pages call the same store areas and API scoping the REST
API calls (in process, never over HTTP), so a key sees and does in the browser exactly what
it may through /v1. The pieces other pages build on, one module each:

- ``sessions``: the signed, expiring session cookie, and ``current_session`` (the key is
  checked again on every request, so revoking it ends its sessions);
- ``csrf``: the token every form carries, and the refusal of cross-site posts;
- ``headers``: the Content-Security-Policy and the other security headers of every answer;
- ``render``: the Jinja2 templates (``templates/``: ``base.html`` is the layout);
- ``nav``: the navigation, by kind of key;
- ``sse``: live updates, server-sent fragments the page's own script swaps in
  (``static/dashboard.js``; no inline script anywhere);
- ``site``: the routes, mounted by ``create_app``.
"""
