//! Excel (XLSX) exports of lists.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

pub enum Cell {
    Text(String),
    Int(i64),
}

/// A one-sheet workbook with a bold, frozen header row and sensible column widths.
pub fn workbook(sheet: &str, headers: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
        ws.set_column_width(c as u16, 14)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => ws.write_string(r, c as u16, s)?,
                Cell::Int(n) => ws.write_number(r, c as u16, *n as f64)?,
            };
        }
    }
    ws.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// The workbook as a download, or a 500 if it could not be written.
pub fn download(file_name: &str, bytes: Result<Vec<u8>, rust_xlsxwriter::XlsxError>) -> Response {
    match bytes {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "xlsx export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "export failed").into_response()
        }
    }
}
