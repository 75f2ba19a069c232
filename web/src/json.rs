//! A small JSON reader for the page's data files, so the wasm carries no serde machinery (it
//! kept the page over its 200 KB gzipped budget).
//!
//! [`parse`] builds a [`Json`] tree that keeps numbers as their text, so each is converted once,
//! to the type the reader asks for. Decimals are read by [`decimal`] with the same arithmetic
//! as `serde_json`'s default reader (significand as `f64`, then one exact multiplication or
//! division by a power of ten up to 10²², then `as f32` for an `f32`), so the page reads every
//! shot exactly as `trainer export-web` checked it reads back; and without core's correctly
//! rounded float parser, whose 20 KB table of powers of five would otherwise ship in the wasm.
//! Nesting deeper than [`MAX_DEPTH`] and anything that is not JSON are errors, never panics.

use core::fmt;

/// Deepest nesting accepted (the data files need 4).
pub const MAX_DEPTH: usize = 32;

/// A parsed JSON value; numbers are kept as their text.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Json<'a>>),
    Object(Vec<(String, Json<'a>)>),
}

/// Where and why the text is not JSON, or a value is not what was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError(pub String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, JsonError> {
    Err(JsonError(msg.into()))
}

/// Parses a whole document.
pub fn parse(text: &str) -> Result<Json<'_>, JsonError> {
    let mut p = Parser { s: text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != text.len() {
        return err(format!("trailing characters at byte {}", p.i));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), JsonError> {
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            err(format!("expected '{}' at byte {}", b as char, self.i))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        if depth > MAX_DEPTH {
            return err(format!("nested deeper than {MAX_DEPTH} at byte {}", self.i));
        }
        self.ws();
        match self.peek() {
            None => err("unexpected end of input"),
            Some(b'{') => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return err(format!("expected a key at byte {}", self.i));
                    }
                    let at = self.i;
                    let k = self.string()?;
                    // Readers disagree on which of two equal keys wins (browsers take the
                    // last, many parsers the first): refuse rather than pick.
                    if fields.iter().any(|(seen, _)| *seen == k) {
                        return err(format!("duplicate key {k:?} at byte {at}"));
                    }
                    self.expect(b':')?;
                    fields.push((k, self.value(depth + 1)?));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => return err(format!("expected ',' or '}}' at byte {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return err(format!("expected ',' or ']' at byte {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.i += 1;
                }
                // JSON's grammar, checked here so that every reader of the text (integers
                // too, which `str::parse` would take with a `+` or leading zeros) sees a number.
                let text = &self.s[start..self.i];
                if !is_number(text) {
                    return err(format!("{text:?} at byte {start} is not a JSON number"));
                }
                Ok(Json::Number(text))
            }
            Some(_) => err(format!("unexpected character at byte {}", self.i)),
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> Result<Json<'a>, JsonError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            err(format!("unexpected word at byte {}", self.i))
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            // Four hex digits exactly (`from_str_radix` alone would take a sign).
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| JsonError(format!("bad \\u escape at byte {}", self.i)))?;
        self.i += 4;
        Ok(h)
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.s[self.i..];
            let Some(stop) = rest.find(['"', '\\']) else {
                return err("unterminated string");
            };
            let chunk = &rest[..stop];
            if chunk.bytes().any(|b| b < 0x20) {
                return err(format!(
                    "control character in a string near byte {}",
                    self.i
                ));
            }
            out.push_str(chunk);
            self.i += stop + 1;
            if rest.as_bytes()[stop] == b'"' {
                return Ok(out);
            }
            let e = self
                .peek()
                .ok_or_else(|| JsonError("unterminated escape".into()))?;
            self.i += 1;
            match e {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let mut c = self.hex4()?;
                    // A high surrogate joins only a low one that follows; anything else leaves
                    // it unpaired (U+FFFD) and is read on its own.
                    if (0xd800..0xdc00).contains(&c) && self.s[self.i..].starts_with("\\u") {
                        let (at, i) = (self.i, self.i + 2);
                        self.i = i;
                        let lo = self.hex4()?;
                        if (0xdc00..0xe000).contains(&lo) {
                            c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                        } else {
                            self.i = at;
                        }
                    }
                    out.push(char::from_u32(c).unwrap_or('\u{fffd}'));
                }
                _ => return err(format!("bad escape at byte {}", self.i - 1)),
            }
        }
    }
}

/// Whether `t` is a JSON number: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// `10^e` for `e ≤ 22`, exactly (every such power of ten is an `f64`).
fn pow10(e: u32) -> f64 {
    let mut p = 1.0;
    for _ in 0..e {
        p *= 10.0;
    }
    p
}

/// A JSON number's value: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, `None` for any other
/// text. Up to 19 significant digits are kept; the value is `significand as f64` times or
/// divided by `10^|e|`, exact in the step for `|e| ≤ 22` (as `serde_json` reads numbers).
pub fn decimal(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let mut i = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let (mut sig, mut digits, mut exp) = (0u64, 0u32, 0i64);
    let int_start = i;
    while let Some(d @ b'0'..=b'9') = b.get(i).copied() {
        if digits < 19 {
            sig = sig * 10 + (d - b'0') as u64;
            if sig > 0 {
                digits += 1;
            }
        } else {
            exp += 1;
        }
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d @ b'0'..=b'9') = b.get(i).copied() {
            if digits < 19 {
                sig = sig * 10 + (d - b'0') as u64;
                exp -= 1;
                if sig > 0 {
                    digits += 1;
                }
            }
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let minus = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e = 0i64;
        while let Some(d @ b'0'..=b'9') = b.get(i).copied() {
            e = (e * 10 + (d - b'0') as i64).min(100_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if minus { -e } else { e };
    }
    if i != b.len() {
        return None;
    }
    let mut v = sig as f64;
    if sig != 0 {
        let mut e = exp;
        // Beyond 10^22 a power of ten is not exact: scale in exact steps (only for numbers the
        // data files never hold; the result may then be off in the last bit, or infinite).
        while e > 22 {
            v *= pow10(22);
            e -= 22;
        }
        while e < -22 {
            v /= pow10(22);
            e += 22;
        }
        v = if e >= 0 {
            v * pow10(e as u32)
        } else {
            v / pow10((-e) as u32)
        };
    }
    Some(if negative { -v } else { v })
}

impl<'a> Json<'a> {
    /// A field of an object; `Null` if absent (or not an object).
    pub fn get(&self, key: &str) -> &Json<'a> {
        match self {
            Json::Object(fields) => fields
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&Json::Null, |(_, v)| v),
            _ => &Json::Null,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn bool(&self, what: &str) -> Result<bool, JsonError> {
        match self {
            Json::Bool(b) => Ok(*b),
            _ => err(format!("{what}: expected true or false")),
        }
    }

    pub fn array(&self, what: &str) -> Result<&[Json<'a>], JsonError> {
        match self {
            Json::Array(items) => Ok(items),
            _ => err(format!("{what}: expected an array")),
        }
    }

    pub fn str(&self, what: &str) -> Result<&str, JsonError> {
        match self {
            Json::String(s) => Ok(s),
            _ => err(format!("{what}: expected a string")),
        }
    }

    fn number<T: core::str::FromStr>(&self, what: &str, kind: &str) -> Result<T, JsonError> {
        match self {
            Json::Number(t) => t
                .parse()
                .map_err(|_| JsonError(format!("{what}: {t:?} is not {kind}"))),
            _ => err(format!("{what}: expected {kind}")),
        }
    }

    pub fn u64(&self, what: &str) -> Result<u64, JsonError> {
        self.number(what, "a whole number")
    }

    pub fn u32(&self, what: &str) -> Result<u32, JsonError> {
        self.number(what, "a whole number below 2^32")
    }

    pub fn f32(&self, what: &str) -> Result<f32, JsonError> {
        self.f64(what).map(|v| v as f32)
    }

    pub fn f64(&self, what: &str) -> Result<f64, JsonError> {
        match self {
            Json::Number(t) => {
                decimal(t).ok_or_else(|| JsonError(format!("{what}: {t:?} is not a number")))
            }
            _ => err(format!("{what}: expected a number")),
        }
    }

    /// `None` for `null` or an absent field.
    pub fn opt<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Self, &str) -> Result<T, JsonError>,
    ) -> Result<Option<T>, JsonError> {
        if self.is_null() {
            Ok(None)
        } else {
            f(self, what).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_writes() {
        let v = parse(r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\\\/\n\u00e9\ud83d\ude00", "c": {}} "#)
            .unwrap();
        let a = v.get("a").array("a").unwrap();
        assert_eq!(a[0].u64("").unwrap(), 1);
        assert_eq!(a[1].f64("").unwrap(), -2500.0);
        assert_eq!(a[2], Json::Bool(true));
        assert!(a[4].is_null() && v.get("missing").is_null());
        assert_eq!(v.get("b").str("b").unwrap(), "x\"\\/\né😀");
        assert_eq!(v.get("c"), &Json::Object(vec![]));
    }

    #[test]
    fn f32_round_trips_bit_for_bit() {
        let mut rng = scorer::synth::Rng::new(5);
        for _ in 0..200_000 {
            // Random bits over the magnitudes the data hold (positions, seconds, minutes).
            let x = f32::from_bits(rng.next_u64() as u32);
            if !x.is_finite() || !(1e-6..=1e7).contains(&x.abs()) {
                continue;
            }
            let text = serde_json::to_string(&x).unwrap();
            assert_eq!(
                parse(&text).unwrap().f32("x").unwrap().to_bits(),
                x.to_bits(),
                "{text}"
            );
        }
    }

    #[test]
    fn decimals_follow_the_json_grammar() {
        for (t, v) in [
            ("0", 0.0),
            ("-0.5", -0.5),
            ("91.35", 91.35),
            ("1e3", 1000.0),
            ("2.5E-2", 0.025),
            ("7200", 7200.0),
            ("0.7986455954158073", 0.7986455954158073),
        ] {
            assert_eq!(decimal(t), Some(v), "{t}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "NaN", "inf", "+1", "1.5.2", "0x10", "1 ",
        ] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        assert!(decimal("1e999").unwrap().is_infinite());
        assert_eq!(decimal("1e-999"), Some(0.0));
    }

    #[test]
    fn malformed_text_is_an_error_not_a_panic() {
        let deep = "[".repeat(10_000);
        for bad in [
            "",
            "{",
            "[1,",
            "[1 2]",
            "{\"a\" 1}",
            "{a: 1}",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "tru",
            "nul",
            "[1]x",
            "\"a\nb\"",
            &deep,
            "é",
            // Not JSON numbers, though `str::parse` would take some of them.
            "007",
            "+5",
            "1.5e",
            "-",
            "1..2",
            // Escapes with a sign, and keys given twice (readers differ on which wins).
            "\"\\u+041\"",
            "{\"a\": 1, \"a\": 2}",
        ] {
            assert!(parse(bad).is_err(), "{bad:.20}");
        }
        // A lone surrogate is U+FFFD and what follows it is kept; a real pair joins.
        for (text, want) in [
            ("\"\\ud800\\u0041\"", "\u{fffd}A"),
            ("\"\\udc00x\"", "\u{fffd}x"),
            ("\"\\ud83d\\ude00\"", "\u{1F600}"),
        ] {
            assert_eq!(parse(text).unwrap().str("s").unwrap(), want, "{text}");
        }
        let v = parse("[1.5, \"x\", 1e999, true]").unwrap();
        let a = v.array("").unwrap();
        assert!(a[0].u64("n").is_err() && a[1].f32("n").is_err());
        assert!(
            !a[2].f32("n").unwrap().is_finite(),
            "callers check finiteness"
        );
        assert!(a[3].f64("n").is_err() && a[3].bool("b").unwrap());
    }
}
