"""gunicorn's settings for the web server the product ships (Dockerfile, docker-compose.yml):
`gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`. Command-line options still win."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# About 2 × the machine's cores (docs/deployment.md, "Scaling").
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
accesslog = "-"

# gunicorn refuses a request line over 4 KB itself, with an HTML 414 that an API client cannot
# parse. It lets 8 KB (its highest bounded limit) through instead, and the app answers a query
# string over 4 KB under /api/ with a JSON 414 of its own (config.middleware).
limit_request_line = 8190
