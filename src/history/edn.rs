//! A reader for the part of EDN that Jepsen histories use: `nil`, booleans, integers,
//! floats, strings, keywords, symbols, vectors, lists, maps and sets, commas as whitespace,
//! `;` comments and `#inst`/`#uuid`-style tags (the tag is dropped, the value kept).
//! Garbage is an error with a byte offset, never a panic.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An EDN value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// `nil`.
    Nil,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float, kept as its text (histories compare values, not arithmetic on floats).
    Float(String),
    /// A string.
    Str(String),
    /// A keyword, without its colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// A vector or a list.
    List(Vec<Value>),
    /// A set, its elements sorted.
    Set(Vec<Value>),
    /// A map, its entries in the order written.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value under keyword `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Value::Keyword(name) if name == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = |f: &mut fmt::Formatter<'_>, open: &str, items: &[Value], close: &str| {
            write!(f, "{open}")?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " ")?;
                }
                write!(f, "{v}")?;
            }
            write!(f, "{close}")
        };
        match self {
            Value::Nil => write!(f, "nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) | Value::Symbol(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::List(items) => seq(f, "[", items, "]"),
            Value::Set(items) => seq(f, "#{", items, "}"),
            Value::Map(entries) => {
                write!(f, "{{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

/// Text that is not EDN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("EDN at byte {offset}: {what}")]
pub struct EdnError {
    /// Byte offset in the text read.
    pub offset: usize,
    /// What was wrong.
    pub what: String,
}

/// Deepest nesting accepted (a guard against stack overflow on hostile input).
const MAX_DEPTH: usize = 256;

/// Reads every top-level value of `text`.
pub fn parse_all(text: &str) -> Result<Vec<Value>, EdnError> {
    let mut r = Reader { text, pos: 0 };
    let mut out = Vec::new();
    loop {
        r.skip_space();
        if r.pos >= text.len() {
            return Ok(out);
        }
        out.push(r.value(0)?);
    }
}

/// Reads exactly one value from `text`.
pub fn parse_one(text: &str) -> Result<Value, EdnError> {
    let mut all = parse_all(text)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        n => Err(EdnError {
            offset: 0,
            what: format!("expected one value, found {n}"),
        }),
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn err<T>(&self, what: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError {
            offset: self.pos,
            what: what.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.pos += c.len_utf8();
            } else if c == ';' {
                while let Some(c) = self.peek() {
                    self.pos += c.len_utf8();
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, EdnError> {
        if depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        self.skip_space();
        let Some(c) = self.peek() else {
            return self.err("unexpected end of input");
        };
        match c {
            '[' | '(' => {
                self.pos += 1;
                Ok(Value::List(
                    self.seq(if c == '[' { ']' } else { ')' }, depth)?,
                ))
            }
            '{' => {
                self.pos += 1;
                let items = self.seq('}', depth)?;
                if items.len() % 2 != 0 {
                    return self.err("a map needs an even number of forms");
                }
                let mut it = items.into_iter();
                let mut entries = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                Ok(Value::Map(entries))
            }
            '#' => {
                self.pos += 1;
                match self.peek() {
                    Some('{') => {
                        self.pos += 1;
                        let mut items = self.seq('}', depth)?;
                        items.sort();
                        Ok(Value::Set(items))
                    }
                    Some('_') => {
                        self.pos += 1;
                        self.value(depth + 1)?;
                        self.value(depth + 1)
                    }
                    Some(c) if c.is_alphabetic() => {
                        self.token();
                        self.value(depth + 1)
                    }
                    _ => self.err("unknown dispatch after #"),
                }
            }
            '"' => self.string(),
            ')' | ']' | '}' => self.err(format!("unexpected {c}")),
            _ => self.atom(),
        }
    }

    fn seq(&mut self, close: char, depth: usize) -> Result<Vec<Value>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => return self.err(format!("missing {close}")),
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.value(depth + 1)?),
            }
        }
    }

    fn string(&mut self) -> Result<Value, EdnError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated string");
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(Value::Str(out)),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return self.err("unterminated escape");
                    };
                    self.pos += e.len_utf8();
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || ",()[]{}\";".contains(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn atom(&mut self) -> Result<Value, EdnError> {
        let start = self.pos;
        let tok = self.token().to_string();
        if tok.is_empty() {
            return self.err("unexpected character");
        }
        Ok(match tok.as_str() {
            "nil" => Value::Nil,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            t if t.starts_with(':') => {
                if t.len() == 1 {
                    self.pos = start;
                    return self.err("empty keyword");
                }
                Value::Keyword(t[1..].to_string())
            }
            t if t.starts_with(|c: char| c.is_ascii_digit())
                || (t.len() > 1
                    && t.starts_with(['-', '+'])
                    && t[1..].starts_with(|c: char| c.is_ascii_digit())) =>
            {
                let digits = t.trim_end_matches(['N', 'M']);
                match digits.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) if digits.parse::<f64>().is_ok() => Value::Float(t.to_string()),
                    Err(_) => {
                        self.pos = start;
                        return self.err(format!("bad number {t:?}"));
                    }
                }
            }
            t => Value::Symbol(t.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_a_jepsen_event_map() {
        let v = parse_one("{:type :invoke, :f :cas, :process 3, :value [1 2], :time 12}").unwrap();
        assert_eq!(v.get("type"), Some(&Value::Keyword("invoke".into())));
        assert_eq!(
            v.get("value"),
            Some(&Value::List(vec![Value::Int(1), Value::Int(2)]))
        );
        assert_eq!(v.get("process"), Some(&Value::Int(3)));
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in ["{:a}", "[1 2", "\"abc", ")", ": x", "#?", "1x2"] {
            assert!(parse_all(bad).is_err(), "{bad}");
        }
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            "[a-z][a-z0-9-]{0,6}".prop_map(Value::Keyword),
            "[a-zA-Z0-9 ]{0,8}".prop_map(Value::Str),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                prop::collection::vec((inner.clone(), inner), 0..3).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_garbage(text in "\\PC{0,64}") {
            let _ = parse_all(&text);
        }

        #[test]
        fn never_panics_on_edn_like_garbage(text in "[\\[\\]{}()#:,;\"\\\\ a-z0-9_-]{0,64}") {
            let _ = parse_all(&text);
        }

        #[test]
        fn printed_values_read_back(v in arb_value()) {
            prop_assert_eq!(parse_one(&v.to_string()).unwrap(), v);
        }
    }
}
