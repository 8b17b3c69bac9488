"""Create the PostgreSQL database that DATABASE_URL names, if it does not exist yet.

`python -m config.ensure_database` connects to the server's `postgres` maintenance database with the same
user and password. It does nothing for SQLite, whose file `migrate` creates.
"""

import sys

import environ
import psycopg2
from psycopg2 import sql


def ensure_database(url: str) -> bool:
    """Create the database `url` names unless it exists; True if it was created."""
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return False
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    # CREATE DATABASE cannot run inside a transaction.
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            return True
    finally:
        connection.close()


def main() -> int:
    env = environ.Env()
    url = env.str("DATABASE_URL", default="")
    if not url:
        print("DATABASE_URL is not set: nothing to create.")
        return 0
    name = environ.Env.db_url_config(url)["NAME"]
    print(f"Created database {name}." if ensure_database(url) else f"Database {name} is ready.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
