//! What a run produces: tables to show (already formatted) and named numbers for
//! `cargo xtask bench` to check against the targets, written as JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One scenario's table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Heading.
    pub(crate) title: String,
    /// What was measured and how, in a sentence or two.
    pub(crate) text: String,
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(title: &str, text: &str, columns: &[&str]) -> Table {
        Table {
            title: title.to_owned(),
            text: text.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown (for the console).
    pub(crate) fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n{}\n\n", self.title, self.text);
        out.push_str(&format!("| {} |\n", self.columns.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(self.columns.len())));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out
    }
}

/// Everything a run measured.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) tables: Vec<Table>,
    /// Named values (`scenario.quantity.configuration`), for the targets.
    pub(crate) metrics: BTreeMap<String, f64>,
    /// The CPU the latency scenarios were pinned to, if they were.
    pub(crate) pinned_cpu: Option<usize>,
}

impl Report {
    pub(crate) fn metric(&mut self, name: impl Into<String>, value: f64) {
        self.metrics.insert(name.into(), value);
    }

    pub(crate) fn to_json(&self, mut settings: Value) -> Value {
        if let Some(settings) = settings.as_object_mut() {
            let pin = self.pinned_cpu.map_or(json!("unpinned"), |cpu| json!(cpu));
            settings.insert("latency_scenarios_cpu".into(), pin);
        }
        let tables: Vec<Value> = self
            .tables
            .iter()
            .map(|t| {
                json!({
                    "title": t.title,
                    "text": t.text,
                    "columns": t.columns,
                    "rows": t.rows,
                })
            })
            .collect();
        let metrics: serde_json::Map<String, Value> = self
            .metrics
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({ "settings": settings, "tables": tables, "metrics": metrics })
    }
}

/// Nanoseconds as microseconds for a table.
pub(crate) fn us(ns: f64) -> String {
    match ns / 1_000.0 {
        x if !x.is_finite() => "–".to_owned(),
        x if x < 10.0 => format!("{x:.2} µs"),
        x if x < 1_000.0 => format!("{x:.1} µs"),
        x => format!("{:.2} ms", x / 1_000.0),
    }
}

/// A ratio for a table.
pub(crate) fn ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}×")
    } else {
        "–".to_owned()
    }
}

/// Bytes as KiB or MiB for a table.
pub(crate) fn bytes(b: f64) -> String {
    match b {
        x if !x.is_finite() => "–".to_owned(),
        x if x.abs() < 1024.0 * 1024.0 => format!("{:.0} KiB", x / 1024.0),
        x => format!("{:.1} MiB", x / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(us(1_234.0), "1.23 µs");
        assert_eq!(us(42_600.0), "42.6 µs");
        assert_eq!(us(8_500_000.0), "8.50 ms");
        assert_eq!(ratio(0.123), "0.12×");
        assert_eq!(ratio(f64::NAN), "–");
        assert_eq!(bytes(2048.0), "2 KiB");
        assert_eq!(bytes(30.0 * 1024.0 * 1024.0), "30.0 MiB");
    }

    #[test]
    fn json_drops_values_that_are_not_numbers() {
        let mut r = Report::default();
        r.metric("a", 1.5);
        r.metric("b", f64::NAN);
        let mut t = Table::new("T", "text", &["x", "y"]);
        t.row(vec!["1".into(), "2".into()]);
        r.tables.push(t);
        let j = r.to_json(json!({"smoke": true}));
        assert_eq!(j["metrics"], json!({"a": 1.5}));
        assert_eq!(j["tables"][0]["rows"][0][1], "2");
        assert!(r.tables[0].markdown().contains("| 1 | 2 |"));
    }
}
