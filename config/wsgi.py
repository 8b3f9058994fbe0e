"""The WSGI application gunicorn serves (deploy/gunicorn.conf.py).

After Django is set up, every object made so far (modules, classes, settings, models) is moved
out of the garbage collector's way (gc.freeze): a full collection then walks only what requests
made. A scoreboard request, which builds thousands of rows, met one every hundred or so, and it
paused that request for about 70 ms instead of 15 (docs/performance.md, session 31).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
gc.freeze()
