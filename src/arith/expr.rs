//! The claim expression language: exact rational literals, dotted names of values in
//! `double11.toml`, `+ - * /`, integer powers `^`, comparisons, `&&`, and calls of the
//! builtin functions listed in [`BUILTINS`]. Parsing only; evaluation is in `eval`.

use super::rational::{parse_decimal, render_exact, Q};
use std::fmt;

/// Builtin functions: name, arity, what it means.
pub const BUILTINS: &[(&str, usize, &str)] = &[
    ("sqrt", 1, "non-negative square root (exact: y ≥ 0, y² = e)"),
    ("ln", 1, "natural logarithm (sound rational enclosure)"),
    (
        "quota",
        1,
        "tenant's optimum: positive root of 2βx² + 2βx − αT = 0 (exact algebraic)",
    ),
    ("best_quota", 1, "tenant's best integer core count (proven)"),
    ("alpha", 1, "tenant's α"),
    ("beta", 1, "tenant's β"),
    ("traffic", 1, "tenant's T"),
    ("u", 2, "tenant's utility αT·ln(1+x) − βx²"),
    ("foc", 2, "tenant's first-order condition αT/(1+x) − 2βx"),
    ("parts", 1, "sum of a latency layer's breakdown"),
    ("layer", 1, "a latency layer's stated total"),
    (
        "optimised",
        1,
        "a latency layer's optimised latency (its stated latency if none)",
    ),
    (
        "vcg_payment",
        1,
        "tenant's Clarke-pivot payment at the spec's capacity",
    ),
];

/// Binary arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Cmp {
    fn text(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Exact rational literal.
    Num(Q),
    /// Dotted name of a value in the spec, or a bare identifier (a tenant or layer argument).
    Name(String),
    /// Negation.
    Neg(Box<Expr>),
    /// Arithmetic.
    Bin(Op, Box<Expr>, Box<Expr>),
    /// Integer power.
    Pow(Box<Expr>, u32),
    /// Builtin call.
    Call(String, Vec<Expr>),
    /// Comparison (boolean).
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// Conjunction (boolean).
    And(Vec<Expr>),
}

impl Expr {
    /// True for comparisons and conjunctions.
    pub fn is_bool(&self) -> bool {
        matches!(self, Expr::Cmp(..) | Expr::And(..))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(q) => {
                let s = render_exact(q);
                match s.split_once(' ') {
                    // Non-terminating decimals print as a quotient, which re-parses exactly.
                    Some((frac, _)) => write!(f, "({})", frac),
                    None if q < &Q::from_integer(0.into()) => write!(f, "({s})"),
                    None => write!(f, "{s}"),
                }
            }
            Expr::Name(n) => write!(f, "{n}"),
            Expr::Neg(e) => write!(f, "(-{e})"),
            Expr::Bin(op, a, b) => {
                let o = match op {
                    Op::Add => "+",
                    Op::Sub => "-",
                    Op::Mul => "*",
                    Op::Div => "/",
                };
                write!(f, "({a} {o} {b})")
            }
            Expr::Pow(e, k) => write!(f, "({e}^{k})"),
            Expr::Call(n, args) => {
                write!(f, "{n}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
            Expr::Cmp(c, a, b) => write!(f, "{a} {} {b}", c.text()),
            Expr::And(es) => {
                for (i, e) in es.iter().enumerate() {
                    if i > 0 {
                        write!(f, " && ")?;
                    }
                    write!(f, "({e})")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Q),
    Ident(String),
    Sym(&'static str),
}

/// Most tokens in one expression (a claim is a line of arithmetic, not a program).
pub const MAX_TOKENS: usize = 10_000;
/// Deepest nesting of parentheses, calls and unary minus: the parser recurses on each, so an
/// expression nested 5,000 deep must be refused rather than overflow the stack.
pub const MAX_NESTING: usize = 64;
/// Deepest expression tree (a chain `a + b + …` nests one level per operator): evaluation
/// and rendering recurse on it.
pub const MAX_DEPTH: usize = 256;
/// Largest decimal exponent of a literal (`1e1000`): beyond it the exact rational alone would
/// take unbounded time and memory.
pub const MAX_EXPONENT: i64 = 1000;

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        if out.len() > MAX_TOKENS {
            return Err(format!("the expression is longer than {MAX_TOKENS} tokens"));
        }
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.' || cs[i] == '_') {
                i += 1;
            }
            if i < cs.len() && (cs[i] == 'e' || cs[i] == 'E') {
                let mut j = i + 1;
                if j < cs.len() && (cs[j] == '-' || cs[j] == '+') {
                    j += 1;
                }
                if j < cs.len() && cs[j].is_ascii_digit() {
                    i = j;
                    while i < cs.len() && cs[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = cs[start..i].iter().collect();
            let exponent = text
                .split(['e', 'E'])
                .nth(1)
                .map_or(Some(0), |e| e.parse::<i64>().ok());
            if !matches!(exponent, Some(e) if e.abs() <= MAX_EXPONENT) {
                return Err(format!(
                    "number `{text}`: the exponent must be within ±{MAX_EXPONENT}"
                ));
            }
            out.push(Tok::Num(
                parse_decimal(&text).ok_or_else(|| format!("bad number `{text}`"))?,
            ));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_' || cs[i] == '.') {
                i += 1;
            }
            let text: String = cs[start..i].iter().collect();
            if text.ends_with('.') || text.contains("..") {
                return Err(format!("bad name `{text}`"));
            }
            out.push(Tok::Ident(text));
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            let sym = ["<=", ">=", "==", "!=", "&&"]
                .into_iter()
                .find(|s| *s == two);
            if let Some(s) = sym {
                out.push(Tok::Sym(s));
                i += 2;
            } else {
                let one = ["+", "-", "*", "/", "^", "(", ")", ",", "<", ">"]
                    .into_iter()
                    .find(|s| s.starts_with(c))
                    .ok_or_else(|| format!("unexpected character `{c}`"))?;
                out.push(Tok::Sym(one));
                i += 1;
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    nesting: usize,
}

/// Parses an expression; the error says what is wrong and where. Expressions longer than
/// [`MAX_TOKENS`], nested deeper than [`MAX_NESTING`] or with a tree deeper than
/// [`MAX_DEPTH`] are refused.
pub fn parse(s: &str) -> Result<Expr, String> {
    let mut p = Parser {
        toks: lex(s)?,
        pos: 0,
        nesting: 0,
    };
    let e = p.conj()?;
    if p.pos != p.toks.len() {
        return Err(format!(
            "unexpected `{}` after a complete expression",
            p.show(p.pos)
        ));
    }
    let depth = depth(&e);
    if depth > MAX_DEPTH {
        return Err(format!(
            "the expression nests {depth} operators deep (at most {MAX_DEPTH}): split it"
        ));
    }
    Ok(e)
}

/// The depth of an expression tree, without recursion.
fn depth(e: &Expr) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        deepest = deepest.max(d);
        match e {
            Expr::Num(_) | Expr::Name(_) => {}
            Expr::Neg(a) | Expr::Pow(a, _) => stack.push((a, d + 1)),
            Expr::Bin(_, a, b) | Expr::Cmp(_, a, b) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            Expr::Call(_, args) | Expr::And(args) => {
                stack.extend(args.iter().map(|a| (a, d + 1)));
            }
        }
    }
    deepest
}

impl Parser {
    /// One level deeper into parentheses, a call or a unary minus.
    fn nest(&mut self) -> Result<(), String> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(format!(
                "the expression is nested more than {MAX_NESTING} deep (parentheses, calls, minus signs)"
            ));
        }
        Ok(())
    }

    fn show(&self, i: usize) -> String {
        match self.toks.get(i) {
            None => "end of input".into(),
            Some(Tok::Num(q)) => render_exact(q),
            Some(Tok::Ident(s)) => s.clone(),
            Some(Tok::Sym(s)) => (*s).into(),
        }
    }
    fn eat(&mut self, s: &str) -> bool {
        if matches!(self.toks.get(self.pos), Some(Tok::Sym(t)) if *t == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, s: &str) -> Result<(), String> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(format!("expected `{s}`, found `{}`", self.show(self.pos)))
        }
    }
    fn conj(&mut self) -> Result<Expr, String> {
        let mut es = vec![self.cmp()?];
        while self.eat("&&") {
            es.push(self.cmp()?);
        }
        if es.len() == 1 {
            Ok(es.remove(0))
        } else {
            if let Some(e) = es.iter().find(|e| !e.is_bool()) {
                return Err(format!("`&&` needs comparisons, found `{e}`"));
            }
            Ok(Expr::And(es))
        }
    }
    fn cmp(&mut self) -> Result<Expr, String> {
        let a = self.sum()?;
        let ops = [
            ("<=", Cmp::Le),
            (">=", Cmp::Ge),
            ("==", Cmp::Eq),
            ("!=", Cmp::Ne),
            ("<", Cmp::Lt),
            (">", Cmp::Gt),
        ];
        for (s, c) in ops {
            if self.eat(s) {
                let b = self.sum()?;
                if a.is_bool() || b.is_bool() {
                    return Err("comparisons cannot be chained".into());
                }
                return Ok(Expr::Cmp(c, Box::new(a), Box::new(b)));
            }
        }
        Ok(a)
    }
    fn sum(&mut self) -> Result<Expr, String> {
        let mut a = self.term()?;
        loop {
            let op = if self.eat("+") {
                Op::Add
            } else if self.eat("-") {
                Op::Sub
            } else {
                return Ok(a);
            };
            let b = self.term()?;
            a = Expr::Bin(op, Box::new(a), Box::new(b));
        }
    }
    fn term(&mut self) -> Result<Expr, String> {
        let mut a = self.unary()?;
        loop {
            let op = if self.eat("*") {
                Op::Mul
            } else if self.eat("/") {
                Op::Div
            } else {
                return Ok(a);
            };
            let b = self.unary()?;
            a = Expr::Bin(op, Box::new(a), Box::new(b));
        }
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("-") {
            self.nest()?;
            let e = Expr::Neg(Box::new(self.unary()?));
            self.nesting -= 1;
            Ok(e)
        } else {
            self.power()
        }
    }
    fn power(&mut self) -> Result<Expr, String> {
        let base = self.atom()?;
        if self.eat("^") {
            match self.toks.get(self.pos) {
                Some(Tok::Num(q))
                    if q.is_integer()
                        && *q >= Q::from_integer(0.into())
                        && *q <= Q::from_integer(64.into()) =>
                {
                    let k = q
                        .to_integer()
                        .to_string()
                        .parse::<u32>()
                        .map_err(|e| e.to_string())?;
                    self.pos += 1;
                    Ok(Expr::Pow(Box::new(base), k))
                }
                _ => Err(format!(
                    "`^` needs an integer exponent 0..=64, found `{}`",
                    self.show(self.pos)
                )),
            }
        } else {
            Ok(base)
        }
    }
    fn atom(&mut self) -> Result<Expr, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Num(q)) => {
                self.pos += 1;
                Ok(Expr::Num(q))
            }
            Some(Tok::Ident(name)) => {
                self.pos += 1;
                if self.eat("(") {
                    let (_, arity, _) = BUILTINS
                        .iter()
                        .find(|(n, _, _)| *n == name)
                        .ok_or_else(|| format!("unknown function `{name}`"))?;
                    self.nest()?;
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.sum()?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    self.nesting -= 1;
                    if args.len() != *arity {
                        return Err(format!(
                            "`{name}` takes {arity} argument(s), got {}",
                            args.len()
                        ));
                    }
                    Ok(Expr::Call(name, args))
                } else {
                    Ok(Expr::Name(name))
                }
            }
            Some(Tok::Sym("(")) => {
                self.pos += 1;
                self.nest()?;
                let e = self.conj()?;
                self.expect(")")?;
                self.nesting -= 1;
                Ok(e)
            }
            _ => Err(format!(
                "expected a number, a name or `(`, found `{}`",
                self.show(self.pos)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::rational::int;
    use proptest::prelude::*;

    #[test]
    fn precedence_and_errors() {
        let e = parse("1 + 2 * 3 ^ 2 <= 19").unwrap();
        assert_eq!(e.to_string(), "(1 + (2 * (3^2))) <= 19");
        assert!(parse("1 +").is_err());
        assert!(parse("foo(1)").unwrap_err().contains("unknown function"));
        assert!(parse("sqrt(1, 2)").unwrap_err().contains("takes 1"));
        assert!(parse("1 < 2 < 3").is_err());
        assert!(parse("2 ^ x").is_err());
        assert!(parse("a.b. + 1").is_err());
        assert_eq!(
            parse("0.1").unwrap(),
            Expr::Num(Q::new(1.into(), 10.into()))
        );
    }

    fn arb_expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            (-1000i64..1000, 1i64..50).prop_map(|(n, d)| Expr::Num(Q::new(n.into(), d.into()))),
            "[a-z][a-z0-9_]{0,5}(\\.[a-z][a-z0-9_]{0,5}){0,2}".prop_map(Expr::Name),
        ];
        leaf.prop_recursive(4, 32, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
                (inner.clone(), inner.clone(), 0..4usize).prop_map(|(a, b, o)| {
                    let op = [Op::Add, Op::Sub, Op::Mul, Op::Div][o];
                    Expr::Bin(op, Box::new(a), Box::new(b))
                }),
                (inner.clone(), 0u32..4).prop_map(|(e, k)| Expr::Pow(Box::new(e), k)),
                inner
                    .clone()
                    .prop_map(|e| Expr::Call("sqrt".into(), vec![e])),
                (inner.clone(), inner).prop_map(|(a, b)| Expr::Call("u".into(), vec![a, b])),
            ]
        })
    }

    /// Structural normal form: the parser folds `-literal` into `Neg(literal)`.
    fn norm(e: &Expr) -> Expr {
        match e {
            Expr::Num(q) if *q < int(0) => Expr::Neg(Box::new(Expr::Num(-q.clone()))),
            Expr::Neg(a) => Expr::Neg(Box::new(norm(a))),
            Expr::Bin(o, a, b) => Expr::Bin(*o, Box::new(norm(a)), Box::new(norm(b))),
            Expr::Pow(a, k) => Expr::Pow(Box::new(norm(a)), *k),
            Expr::Call(n, args) => Expr::Call(n.clone(), args.iter().map(norm).collect()),
            Expr::Cmp(c, a, b) => Expr::Cmp(*c, Box::new(norm(a)), Box::new(norm(b))),
            Expr::And(es) => Expr::And(es.iter().map(norm).collect()),
            other => other.clone(),
        }
    }

    fn norm_frac(e: &Expr) -> Expr {
        // Fractions print as `(p/q)`, re-parsed as a division of two literals: fold them back.
        match e {
            Expr::Bin(Op::Div, a, b) => match (norm_frac(a), norm_frac(b)) {
                (Expr::Num(p), Expr::Num(q)) if q != int(0) && p.is_integer() && q.is_integer() => {
                    Expr::Num(p / q)
                }
                (Expr::Neg(p), Expr::Num(q)) if matches!(*p, Expr::Num(_)) && q.is_integer() => {
                    if let Expr::Num(p) = *p {
                        Expr::Neg(Box::new(Expr::Num(p / q)))
                    } else {
                        unreachable!()
                    }
                }
                (x, y) => Expr::Bin(Op::Div, Box::new(x), Box::new(y)),
            },
            Expr::Neg(a) => Expr::Neg(Box::new(norm_frac(a))),
            Expr::Bin(o, a, b) => Expr::Bin(*o, Box::new(norm_frac(a)), Box::new(norm_frac(b))),
            Expr::Pow(a, k) => Expr::Pow(Box::new(norm_frac(a)), *k),
            Expr::Call(n, args) => Expr::Call(n.clone(), args.iter().map(norm_frac).collect()),
            other => other.clone(),
        }
    }

    proptest! {
        #[test]
        fn display_parse_roundtrip(e in arb_expr()) {
            let text = e.to_string();
            let back = parse(&text).map_err(|m| TestCaseError::fail(format!("{text}: {m}")))?;
            prop_assert_eq!(norm(&norm_frac(&back)), norm(&norm_frac(&norm(&e))), "text: {}", text);
        }

        #[test]
        fn parser_never_panics(s in "[ -~]{0,40}") {
            let _ = parse(&s);
        }
    }
}
