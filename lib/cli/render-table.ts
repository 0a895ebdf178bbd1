import { formatBytes as formatByteSize } from '../domain/byte-size.ts';

/**
 * A plain text table for human CLI output: a header row, left-aligned text and right-aligned numbers, two spaces
 * between columns (a column of numbers is right-aligned, header included). Null and undefined print as `-`.
 */
export type Cell = string | number | bigint | null | undefined;

export interface Column<Row> {
  readonly header: string;
  readonly value: (row: Row) => Cell;
  /** Numbers align right by default. */
  readonly align?: 'left' | 'right';
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const text = (cell: Cell) => (cell === null || cell === undefined ? '-' : String(cell));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((row) => text(row[index]).length)),
  );
  // A column holding numbers aligns right, header and missing cells included.
  const aligns = columns.map(
    (column, index) =>
      column.align ??
      (cells.some((row) => typeof row[index] === 'number' || typeof row[index] === 'bigint') ? 'right' : 'left'),
  );
  const line = (values: readonly Cell[], header: boolean) =>
    values
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        const value = header ? String(cell) : text(cell);
        return aligns[index] === 'right' ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(
      columns.map((column) => column.header),
      true,
    ),
    ...cells.map((row) => line(row, false)),
  ].join('\n');
}

/** Bytes in binary units, one decimal (`16.0 MiB`); `-` when unknown. */
export function formatBytes(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : formatByteSize(bytes);
}
