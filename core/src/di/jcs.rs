//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! The canonical form of a JSON value is what ECMAScript's `JSON.stringify`
//! writes for it once every object's members are sorted:
//!
//! - no whitespace;
//! - object members sorted by their names compared as arrays of **UTF-16
//!   code units** (not bytes, not code points: the two differ for names with
//!   characters above U+FFFF next to characters in U+E000–U+FFFF);
//! - strings with only `"`, `\` and the C0 controls escaped (`\b \t \n \f \r`
//!   in their short forms, the others as `\u00xx`), everything else written
//!   as is, in UTF-8;
//! - numbers as IEEE 754 doubles, serialised by ECMAScript's
//!   `Number::toString`: the shortest digit string that reads back as the
//!   same double, plain notation for decimal exponents −6 < n ≤ 21, and
//!   exponent notation (`1e+21`, `1.5e-7`) outside it; `-0` is `0`.
//!
//! An integer literal beyond ±2^53 is accepted only when it is already
//! written as ECMAScript writes its double (`7777777777776610000`, which is
//! what the canonical form of such a double looks like, so canonicalising is
//! idempotent); any other (`9007199254740993`) is refused, because it would be
//! canonicalised, and signed, as a different number from the one the
//! document shows.

use serde_json::{Map, Number, Value};

/// Deepest nesting the canonicaliser follows (input from [`crate::json::parse`] is
/// already capped lower).
pub const MAX_DEPTH: usize = 64;

/// The largest integer magnitude a double represents exactly: 2^53.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// Why a JSON value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// An integer beyond ±2^53 that a double cannot hold and that is not
    /// written canonically: its canonical form would show another number.
    #[error("integer beyond ±2^53 that is not in canonical form")]
    IntegerOutOfRange,
    /// A number that is not finite (cannot come from JSON text).
    #[error("number is not finite")]
    NotFinite,
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// The canonical form of `value`, as UTF-8 text.
pub fn canonicalize(value: &Value) -> Result<String, JcsError> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value, 0)?;
    Ok(out)
}

/// The canonical form of a JSON object.
pub fn canonicalize_object(object: &Map<String, Value>) -> Result<String, JcsError> {
    let mut out = String::with_capacity(256);
    write_object(&mut out, object, 0)?;
    Ok(out)
}

/// The canonical form of `object` with some members replaced, without
/// copying the object: `(name, Some(v))` writes `v` as `name`'s value (added
/// if absent), `(name, None)` leaves `name` out.
pub fn canonicalize_object_with(
    object: &Map<String, Value>,
    replace: &[(&str, Option<&Value>)],
) -> Result<String, JcsError> {
    let mut members: Vec<(&str, &Value)> = object
        .iter()
        .filter(|(name, _)| !replace.iter().any(|(r, _)| r == name))
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    members.extend(replace.iter().filter_map(|(r, v)| v.map(|v| (*r, v))));
    let mut out = String::with_capacity(1024);
    write_members(&mut out, members, 0)?;
    Ok(out)
}

/// Appends the canonical form of `value` to `out`.
pub fn canonicalize_into(out: &mut String, value: &Value) -> Result<(), JcsError> {
    write_value(out, value, 0)
}

fn write_value(out: &mut String, value: &Value, depth: usize) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(JcsError::TooDeep);
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(members) => write_object(out, members, depth)?,
    }
    Ok(())
}

fn write_object(
    out: &mut String,
    members: &Map<String, Value>,
    depth: usize,
) -> Result<(), JcsError> {
    write_members(
        out,
        members.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        depth,
    )
}

fn write_members(
    out: &mut String,
    mut sorted: Vec<(&str, &Value)>,
    depth: usize,
) -> Result<(), JcsError> {
    if depth >= MAX_DEPTH {
        return Err(JcsError::TooDeep);
    }
    sorted.sort_unstable_by(|a, b| utf16_cmp(a.0, b.0));
    out.push('{');
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, value, depth + 1)?;
    }
    out.push('}');
    Ok(())
}

/// Orders two strings by their UTF-16 code units (RFC 8785 §3.2.3).
pub fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    // UTF-8 byte order is code point order, which differs from UTF-16 order
    // only when a supplementary character (a surrogate pair, 0xD800..) meets
    // a character in U+E000..U+FFFF. So: skip the common prefix, then compare
    // the UTF-16 encodings of the first two characters that differ (UTF-16
    // is prefix-free, so they decide).
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let mut start = common;
    while !a.is_char_boundary(start) {
        start -= 1;
    }
    let (mut x, mut y) = ([0u16; 2], [0u16; 2]);
    match (a[start..].chars().next(), b[start..].chars().next()) {
        (Some(ca), Some(cb)) => (*ca.encode_utf16(&mut x)).cmp(&*cb.encode_utf16(&mut y)),
        (ca, cb) => ca.is_some().cmp(&cb.is_some()),
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Most names and values need no escaping at all.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            0x08 => Some("\\b"),
            b'\t' => Some("\\t"),
            b'\n' => Some("\\n"),
            0x0c => Some("\\f"),
            b'\r' => Some("\\r"),
            0x00..=0x1f => None,
            _ => continue,
        };
        // Every byte matched above is ASCII, so `i` is a char boundary.
        out.push_str(&s[start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) -> Result<(), JcsError> {
    if let Some(u) = n.as_u64() {
        return write_integer(out, u.to_string(), u > MAX_EXACT_INTEGER, u as f64);
    }
    if let Some(i) = n.as_i64() {
        let big = i.unsigned_abs() > MAX_EXACT_INTEGER;
        return write_integer(out, i.to_string(), big, i as f64);
    }
    let f = n.as_f64().ok_or(JcsError::NotFinite)?;
    write_double(out, f)
}

/// An integer literal: as is within ±2^53; beyond, only if it is the
/// canonical text of its double.
fn write_integer(
    out: &mut String,
    literal: String,
    big: bool,
    double: f64,
) -> Result<(), JcsError> {
    if big {
        let mut canonical = String::new();
        write_double(&mut canonical, double)?;
        if canonical != literal {
            return Err(JcsError::IntegerOutOfRange);
        }
    }
    out.push_str(&literal);
    Ok(())
}

/// Appends ECMAScript's `Number::toString(f)` (ECMA-262 §6.1.6.1.20).
pub fn write_double(out: &mut String, f: f64) -> Result<(), JcsError> {
    if !f.is_finite() {
        return Err(JcsError::NotFinite);
    }
    if f == 0.0 {
        out.push('0');
        return Ok(());
    }
    if f < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` writes a shortest digit string that reads back as the
    // same double, as `d[.ddd]e<exp>`: its length is ECMAScript's `k`. When
    // two k-digit strings are equally close to the double (1424953923781206.25
    // → …06.2 or …06.3), ECMAScript takes the even one, which Rust's shortest
    // mode does not promise; Rust's exact mode with k significant digits
    // rounds the exact value half to even, so the digits are taken from it.
    let shortest = format!("{:e}", f.abs());
    let (mantissa, _) = shortest.split_once('e').ok_or(JcsError::NotFinite)?;
    let k = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let exact = format!("{:.*e}", k.saturating_sub(1), f.abs());
    let (mantissa, exponent) = exact.split_once('e').ok_or(JcsError::NotFinite)?;
    let exponent: i32 = exponent.parse().map_err(|_| JcsError::NotFinite)?;
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let k = i32::try_from(digits.len()).map_err(|_| JcsError::NotFinite)?;
    // ECMAScript's `n`: the value is 0.d1d2… × 10^n.
    let n = exponent + 1;
    if k <= n && n <= 21 {
        // Integer: the digits then n − k zeros.
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        // Decimal point inside the digits.
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        // 0.000ddd
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{JsonLimits, parse};
    use serde_json::json;

    fn canon(text: &str) -> String {
        canonicalize(&parse(text.as_bytes(), JsonLimits::DEFAULT).unwrap()).unwrap()
    }

    fn double(f: f64) -> String {
        let mut s = String::new();
        write_double(&mut s, f).unwrap();
        s
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    #[test]
    fn rfc8785_number_table() {
        for (bits, expected) in [
            (0x0000_0000_0000_0000u64, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xc340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"),
            (0x44b5_2d02_c7e1_4af6, "1e+23"),
            (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
            (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"),
            (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0x41b3_de43_5555_5553, "333333333.3333332"),
            (0x41b3_de43_5555_5554, "333333333.33333325"),
            (0x41b3_de43_5555_5555, "333333333.3333333"),
            (0x41b3_de43_5555_5556, "333333333.3333334"),
            (0x41b3_de43_5555_5557, "333333333.33333343"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ] {
            assert_eq!(double(f64::from_bits(bits)), expected, "{bits:#018x}");
        }
        let mut s = String::new();
        assert_eq!(write_double(&mut s, f64::NAN), Err(JcsError::NotFinite));
        assert_eq!(
            write_double(&mut s, f64::INFINITY),
            Err(JcsError::NotFinite)
        );
    }

    /// Random doubles (a third of them with exponents around the notation
    /// boundaries) and what Node.js v20's `String(x)` writes for them
    /// (`core/tests/fixtures/ecmascript-numbers.txt`; `STELE_ECMA_NUMBERS`
    /// names a larger file of the same shape).
    #[test]
    fn agrees_with_ecmascript_on_random_doubles() {
        let path = std::env::var("STELE_ECMA_NUMBERS").unwrap_or_else(|_| {
            format!(
                "{}/tests/fixtures/ecmascript-numbers.txt",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        let text = std::fs::read_to_string(path).unwrap();
        let mut n = 0;
        for line in text.lines() {
            let (bits, expected) = line.split_once(' ').unwrap();
            let f = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
            assert_eq!(double(f), expected, "{bits}");
            n += 1;
        }
        assert!(n > 1000);
    }

    /// The ECMAScript boundaries between plain and exponent notation.
    #[test]
    fn number_notation_boundaries() {
        for (f, expected) in [
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123e18, "123000000000000000000"),
            (1.5e21, "1.5e+21"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.1, "0.1"),
            (0.5, "0.5"),
            (-0.25, "-0.25"),
            (1.0, "1"),
            (100.0, "100"),
            (123.456, "123.456"),
            (4.35, "4.35"),
            (0.000_012_3, "0.0000123"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(double(f), expected, "{f:e}");
        }
    }

    /// Numbers as they arrive in JSON text, through the strict parser.
    #[test]
    fn numbers_from_text() {
        assert_eq!(
            canon("[1.0, -0, 0.0, -0.0, 1e2, 1E-7, 10.50]"),
            "[1,0,0,0,100,1e-7,10.5]"
        );
        assert_eq!(
            canon("[9007199254740992, -9007199254740992]"),
            "[9007199254740992,-9007199254740992]"
        );
        // Parsed exactly (serde_json's float_roundtrip), as ECMAScript does.
        assert_eq!(canon("[333333333.33333329]"), "[333333333.3333333]");
        assert_eq!(canon("[0.30000000000000004]"), "[0.30000000000000004]");
        for big in [
            "[9007199254740993]",
            "[-9007199254740993]",
            "[18446744073709551615]",
        ] {
            let v = parse(big.as_bytes(), JsonLimits::DEFAULT).unwrap();
            assert_eq!(canonicalize(&v), Err(JcsError::IntegerOutOfRange), "{big}");
        }
        // Found by the data_integrity fuzz target: a double ≥ 2^53 is written
        // as an integer; that integer, read back, must canonicalise to itself.
        let first = canon("[7777777777776609906.77777770007777777713]");
        assert_eq!(first, "[7777777777776610000]");
        assert_eq!(canon(&first), first);
        for canonical in [
            "[9007199254740994]",
            "[-18446744073709552000]",
            "[100000000000000000000]",
        ] {
            assert_eq!(canon(canonical), canonical);
        }
    }

    /// RFC 8785 §3.2.2.2: string escaping.
    #[test]
    fn string_escaping() {
        let v = json!("\u{20ac}$\u{000f}\u{000a}A'\u{0042}\u{0022}\u{005c}\\\"/");
        assert_eq!(
            canonicalize(&v).unwrap(),
            "\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\""
        );
        let v = json!("\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}\u{2028}");
        assert_eq!(
            canonicalize(&v).unwrap(),
            "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f \u{7f}\u{2028}\""
        );
    }

    /// RFC 8785 §3.2.3: member ordering by UTF-16 code units.
    #[test]
    fn utf16_member_order() {
        let text = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let names: Vec<String> = {
            let v = parse(text.as_bytes(), JsonLimits::DEFAULT).unwrap();
            let c = canonicalize(&v).unwrap();
            let back = parse(c.as_bytes(), JsonLimits::DEFAULT).unwrap();
            back.as_object()
                .unwrap()
                .values()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            names,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh",
            ]
        );
    }

    /// RFC 8785 §3.2.4: the complete example.
    #[test]
    fn rfc8785_example() {
        let text = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        assert_eq!(
            canon(text),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    proptest::proptest! {
        /// The fast comparison equals comparing whole UTF-16 encodings.
        #[test]
        fn utf16_order_matches_the_definition(a in "[a\u{7f}-\u{81}\u{e000}\u{ffff}\u{10000}\u{1f600}]{0,6}", b in "[a\u{7f}-\u{81}\u{e000}\u{ffff}\u{10000}\u{1f600}]{0,6}") {
            proptest::prop_assert_eq!(utf16_cmp(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
        }
    }

    #[test]
    fn nesting_and_empties() {
        assert_eq!(
            canon(r#"{"b":[],"a":{},"c":[{}, [ ]]}"#),
            r#"{"a":{},"b":[],"c":[{},[]]}"#
        );
        let mut deep = json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = json!([deep]);
        }
        assert_eq!(canonicalize(&deep), Err(JcsError::TooDeep));
    }
}
