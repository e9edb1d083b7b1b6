"""The web portal: the alumni's site and the alumni office's console.

A backend-for-frontend: a Flask app that renders HTML with Jinja2 and calls the platform's
public APIs through the gateway over HTTP (``gateway.py``), never a service's code. API tokens
stay on the server side of the browser, inside an encrypted session cookie (``session.py``).

Each area of the site is a package with its blueprint, its templates and its Bulgarian
catalogue (``<area>/translations``); ``app.AREAS`` lists them.
"""
