//! Rendering results as text for people or JSON for scripts.

use std::io::IsTerminal;

use serde_json::Value;
use stele_core::verify::{Outcome, Verdict};

use crate::OutputMode;

/// The explicit mode, or text on a terminal and JSON otherwise.
pub fn resolve_mode(explicit: Option<OutputMode>) -> OutputMode {
    explicit.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            OutputMode::Text
        } else {
            OutputMode::Json
        }
    })
}

/// Prints a JSON value, pretty.
pub fn print_json(v: &Value) {
    outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// A verdict as text for a person at a terminal.
pub fn verdict_text(v: &Verdict) -> String {
    let mut out = String::new();
    let kind = v.types.first().map(String::as_str).unwrap_or("credential");
    let format = v
        .format
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|f| f.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown format".into());
    if v.verified {
        out.push_str(&format!("✔ VERIFIED  {kind} ({format})\n"));
    } else {
        out.push_str(&format!("✘ REJECTED  {kind} ({format})\n"));
    }
    if let Some(issuer) = &v.issuer {
        out.push_str(&format!("  issuer:         {issuer}\n"));
    }
    if let Some(from) = &v.valid_from {
        out.push_str(&format!("  valid from:     {from}\n"));
    }
    if let Some(until) = &v.valid_until {
        out.push_str(&format!("  valid until:    {until}\n"));
    }
    let binding = serde_json::to_value(v.holder_binding)
        .ok()
        .and_then(|b| b.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default();
    out.push_str(&format!("  holder binding: {binding}\n"));
    if !v.claims.is_empty() {
        out.push_str("  disclosed claims:\n");
        for (k, val) in &v.claims {
            let shown = match val {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!("    {k}: {shown}\n"));
        }
    }
    for r in &v.reasons {
        out.push_str(&format!("  reason: {} — {}\n", r.code.as_str(), r.message));
    }
    let checks: Vec<String> = v
        .checks
        .iter()
        .map(|c| {
            let mark = match c.outcome {
                Outcome::Passed => "✔",
                Outcome::Failed => "✘",
                Outcome::Skipped => "·",
                Outcome::NotApplicable => "–",
            };
            let name = serde_json::to_value(c.name)
                .ok()
                .and_then(|n| n.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{mark} {name}")
        })
        .collect();
    out.push_str(&format!("  checks: {}\n", checks.join("  ")));
    out
}
