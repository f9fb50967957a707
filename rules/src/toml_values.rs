//! Reading TOML values the way the catalogue files mean them: dates written either as TOML dates
//! or as strings, and tables as the JSON the fact reader takes.

use chrono::NaiveDate;
use serde_json::Value;

/// Reads a date written either as a TOML date (2011-04-01) or as a string.
pub fn toml_date(v: &toml::Value) -> Option<NaiveDate> {
    match v {
        toml::Value::Datetime(d) => NaiveDate::parse_from_str(&d.to_string(), "%Y-%m-%d").ok(),
        toml::Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// TOML values as JSON, with dates as YYYY-MM-DD strings, so cases and the CLI share one reader.
pub fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}
