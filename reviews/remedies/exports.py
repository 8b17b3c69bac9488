"""The actions list as a file: every cell that a spreadsheet would run as a formula is escaped."""

from django_tables2.export import TableExport

from reviews.exchange.cells import escape_dataset


class EscapedActionExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        return escape_dataset(super().table_to_dataset(table, exclude_columns, dataset_kwargs))
