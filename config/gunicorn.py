"""gunicorn settings for serving `config.wsgi` in production (`make serve-prod`, or
`gunicorn --config config/gunicorn.py config.wsgi`). Each can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threaded workers: requests mostly wait on PostgreSQL, so a few threads per process keep the cores busy
# without one process per request. Each thread holds its own database connection (CONN_MAX_AGE).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A request still running after this many seconds is stuck: its worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle each worker now and then, staggered, so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200

# Logs to standard error, where the process manager collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'

# Trust X-Forwarded-* headers only from a proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
