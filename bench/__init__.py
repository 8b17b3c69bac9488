"""Benchmarks run by `make bench`: each module measures one part of the service on PostgreSQL at national
scale and writes its figures to `bench/results/<name>.json`."""


def maintenance_connection(url: str):
    """A connection, outside any transaction, to the maintenance database (`postgres`) of the PostgreSQL server at
    `url`: for creating, copying and dropping the benchmarks' databases."""
    from urllib.parse import urlsplit

    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    connection.autocommit = True
    return connection
