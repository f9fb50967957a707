//! Conversions between domain values and SQLite columns that the domain crate cannot know of.

use std::str::FromStr;

use rusqlite::Row;
use rusqlite::types::Type;

/// Reads a text column holding a UUID into one of the domain's id newtypes.
pub fn id<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr<Err = uuid::Error>,
{
    let text: String = row.get(idx)?;
    text.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Reads a nullable UUID column.
pub fn opt_id<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>>
where
    T: FromStr<Err = uuid::Error>,
{
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        t.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

/// Reads a column holding one of the domain's enum names, such as a sex or a relation.
pub fn name<T>(row: &Row<'_>, idx: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            format!("unexpected value {text:?}").into(),
        )
    })
}
