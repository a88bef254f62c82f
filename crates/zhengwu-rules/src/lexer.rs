//! The lexer: turns policy text into tokens with positions.
//!
//! Identifiers may be Chinese (any alphabetic character starts one); numbers may carry a unit
//! (`500万元`, `3.5元`, `10%`, `50万`); dates are `YYYY-MM-DD`; strings use `"…"`, `“…”` or
//! `「…」`; comments run from `#` or `//` to the end of the line. Full-width punctuation
//! (`，：（）`, `、`) is accepted alongside ASCII.

use crate::error::{Pos, RuleError};
use crate::value::{DEC_SCALE, days_from_ymd};

/// Largest policy file the lexer accepts (bytes): a bound against hostile input.
pub const MAX_SOURCE_BYTES: usize = 4 * 1024 * 1024;

/// A literal number with its unit, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumLit {
    /// A plain number, scaled by [`DEC_SCALE`] (`50万` = 500000).
    Number(i64),
    /// A percentage as a ratio scaled by [`DEC_SCALE`] (`10%` = 100000).
    Percent(i64),
    /// Money in fen (`500万元` = 5_000_000_00).
    Money(i64),
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An identifier or a key word (key words are contextual).
    Ident(String),
    /// A number, percentage or amount of money.
    Num(NumLit),
    /// A date, as days since 0001-01-01 (chrono's `num_days_from_ce`).
    Date(i32),
    /// A string literal.
    Str(String),
    /// Punctuation or an operator, normalised to its ASCII spelling.
    Sym(&'static str),
    /// End of input.
    Eof,
}

/// A token and where it starts and ends (byte offsets) in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its line and column.
    pub pos: Pos,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

struct Cursor<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    i: usize,
    line: u32,
    col: u32,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).map(|c| c.1)
    }
    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).map(|c| c.1)
    }
    fn offset(&self) -> usize {
        self.chars.get(self.i).map_or(self.src.len(), |c| c.0)
    }
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `src` into tokens, ending with [`Tok::Eof`].
pub fn lex(src: &str) -> Result<Vec<Token>, RuleError> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(RuleError::new(
            Pos { line: 1, col: 1 },
            format!("文件过大(超过 {MAX_SOURCE_BYTES} 字节)"),
        ));
    }
    let mut cur = Cursor {
        src,
        chars: src.char_indices().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        // Skip white space and comments.
        while let Some(c) = cur.peek() {
            if c.is_whitespace() || c == '\u{feff}' {
                cur.bump();
            } else if c == '#' || (c == '/' && cur.peek_at(1) == Some('/')) {
                while let Some(c) = cur.peek() {
                    if c == '\n' {
                        break;
                    }
                    cur.bump();
                }
            } else {
                break;
            }
        }
        let pos = cur.pos();
        let start = cur.offset();
        let Some(c) = cur.peek() else {
            out.push(Token {
                tok: Tok::Eof,
                pos,
                start,
                end: start,
            });
            return Ok(out);
        };
        let tok = if c.is_ascii_digit() {
            lex_number(&mut cur, pos)?
        } else if is_ident_start(c) {
            let mut s = String::new();
            while let Some(c) = cur.peek() {
                if is_ident_continue(c) {
                    s.push(c);
                    cur.bump();
                } else {
                    break;
                }
            }
            Tok::Ident(s)
        } else if c == '"' || c == '“' || c == '「' || c == '『' {
            let close = match c {
                '"' => '"',
                '“' => '”',
                '「' => '」',
                _ => '』',
            };
            cur.bump();
            let mut s = String::new();
            loop {
                match cur.bump() {
                    None => {
                        return Err(RuleError::new(
                            pos,
                            "字符串没有结束引号 (unterminated string)",
                        ));
                    }
                    Some('\\') if close == '"' => match cur.bump() {
                        Some('n') => s.push('\n'),
                        Some(c @ ('"' | '\\')) => s.push(c),
                        _ => return Err(RuleError::new(pos, "字符串中的转义无效 (bad escape)")),
                    },
                    Some(c) if c == close => break,
                    Some(c) => s.push(c),
                }
            }
            Tok::Str(s)
        } else {
            lex_symbol(&mut cur, pos)?
        };
        out.push(Token {
            tok,
            pos,
            start,
            end: cur.offset(),
        });
    }
}

fn lex_symbol(cur: &mut Cursor<'_>, pos: Pos) -> Result<Tok, RuleError> {
    let c = cur.peek().unwrap_or(' ');
    let next = cur.peek_at(1);
    let two: Option<&'static str> = match (c, next) {
        ('=', Some('=')) => Some("=="),
        ('=', Some('>')) => Some("=>"),
        ('!', Some('=')) => Some("!="),
        ('<', Some('=')) => Some("<="),
        ('>', Some('=')) => Some(">="),
        ('&', Some('&')) => Some("&&"),
        ('|', Some('|')) => Some("||"),
        _ => None,
    };
    if let Some(s) = two {
        cur.bump();
        cur.bump();
        return Ok(Tok::Sym(if s == "==" { "=" } else { s }));
    }
    let one: &'static str = match c {
        '{' | '｛' => "{",
        '}' | '｝' => "}",
        '(' | '（' => "(",
        ')' | '）' => ")",
        '[' | '【' => "[",
        ']' | '】' => "]",
        ',' | '，' | '、' => ",",
        ':' | '：' => ":",
        ';' | '；' => ";",
        '.' => ".",
        '=' => "=",
        '<' => "<",
        '>' => ">",
        '≤' => "<=",
        '≥' => ">=",
        '≠' => "!=",
        '+' | '＋' => "+",
        '-' | '－' => "-",
        '*' | '×' => "*",
        '/' | '÷' => "/",
        '!' => "!",
        _ => {
            return Err(RuleError::new(
                pos,
                format!("无法识别的字符 '{c}' (unexpected character)"),
            ));
        }
    };
    cur.bump();
    Ok(Tok::Sym(one))
}

fn lex_number(cur: &mut Cursor<'_>, pos: Pos) -> Result<Tok, RuleError> {
    let mut int_part = String::new();
    while let Some(c) = cur.peek() {
        if c.is_ascii_digit() {
            int_part.push(c);
            cur.bump();
        } else if c == '_' && cur.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
            cur.bump();
        } else {
            break;
        }
    }
    // A date: YYYY-MM-DD.
    if int_part.len() == 4
        && cur.peek() == Some('-')
        && cur.peek_at(1).is_some_and(|c| c.is_ascii_digit())
        && cur.peek_at(2).is_some_and(|c| c.is_ascii_digit())
        && cur.peek_at(3) == Some('-')
    {
        let mut text = int_part.clone();
        for _ in 0..6 {
            if let Some(c) = cur.bump() {
                text.push(c);
            }
        }
        let parts: Vec<&str> = text.split('-').collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if ok {
            let y: i32 = parts[0].parse().unwrap_or(0);
            let m: u32 = parts[1].parse().unwrap_or(0);
            let d: u32 = parts[2].parse().unwrap_or(0);
            if let Some(days) = days_from_ymd(y, m, d) {
                return Ok(Tok::Date(days));
            }
        }
        return Err(RuleError::new(
            pos,
            format!("日期无效 '{text}' (invalid date)"),
        ));
    }
    let mut frac = String::new();
    if cur.peek() == Some('.') && cur.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
        cur.bump();
        while let Some(c) = cur.peek() {
            if c.is_ascii_digit() {
                frac.push(c);
                cur.bump();
            } else {
                break;
            }
        }
    }
    // Units: %, 万, 亿, 元, 分, 万元, 亿元.
    let mut unit = String::new();
    for _ in 0..2 {
        match cur.peek() {
            Some(c @ ('%' | '％')) if unit.is_empty() => {
                cur.bump();
                unit.push(if c == '％' { '%' } else { c });
                break;
            }
            Some(c @ ('万' | '亿')) if unit.is_empty() => {
                cur.bump();
                unit.push(c);
            }
            Some(c @ '元') => {
                cur.bump();
                unit.push(c);
                break;
            }
            Some(c @ '分') if unit.is_empty() => {
                cur.bump();
                unit.push(c);
                break;
            }
            _ => break,
        }
    }
    let (lit, value_scale): (fn(i64) -> NumLit, i128) = match unit.as_str() {
        "" => (NumLit::Number, DEC_SCALE as i128),
        "万" => (NumLit::Number, DEC_SCALE as i128 * 10_000),
        "亿" => (NumLit::Number, DEC_SCALE as i128 * 100_000_000),
        "%" => (NumLit::Percent, DEC_SCALE as i128 / 100),
        "元" => (NumLit::Money, 100),
        "万元" => (NumLit::Money, 100 * 10_000),
        "亿元" => (NumLit::Money, 100 * 100_000_000),
        "分" => (NumLit::Money, 1),
        _ => {
            return Err(RuleError::new(
                pos,
                format!("无效的单位 '{unit}' (invalid unit)"),
            ));
        }
    };
    let v = scaled_value(&int_part, &frac, value_scale).ok_or_else(|| {
        RuleError::new(
            pos,
            "数值过大或精度过高 (number out of range or too precise)",
        )
    })?;
    if cur.peek().is_some_and(is_ident_continue) {
        return Err(RuleError::new(
            pos,
            "数字后紧跟的文字无法识别:单位只能是 元、万元、亿元、分、万、亿、% (unknown unit after number)",
        ));
    }
    Ok(Tok::Num(lit(v)))
}

/// `int.frac * scale`, exactly, or None when it overflows or loses digits.
fn scaled_value(int_part: &str, frac: &str, scale: i128) -> Option<i64> {
    if int_part.len() > 30 || frac.len() > 30 {
        return None;
    }
    let mut digits: i128 = 0;
    for c in int_part.chars().chain(frac.chars()) {
        digits = digits
            .checked_mul(10)?
            .checked_add(i128::from(c.to_digit(10)?))?;
    }
    let den = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let num = digits.checked_mul(scale)?;
    if num % den != 0 {
        return None;
    }
    i64::try_from(num / den).ok()
}

/// Parses a single literal such as `300万元`, `3%`, `12`, `2024-06-30` (used for test-case and
/// JSON inputs written as text).
pub fn parse_literal(text: &str) -> Option<Tok> {
    let toks = lex(text.trim()).ok()?;
    match toks.as_slice() {
        [t, eof] if eof.tok == Tok::Eof => Some(t.tok.clone()),
        [minus, t, eof] if eof.tok == Tok::Eof && minus.tok == Tok::Sym("-") => match t.tok {
            Tok::Num(NumLit::Number(v)) => Some(Tok::Num(NumLit::Number(-v))),
            Tok::Num(NumLit::Percent(v)) => Some(Tok::Num(NumLit::Percent(-v))),
            Tok::Num(NumLit::Money(v)) => Some(Tok::Num(NumLit::Money(-v))),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn chinese_identifiers_and_money_units_lex() {
        assert_eq!(
            toks("研发投入 >= 500万元"),
            vec![
                Tok::Ident("研发投入".into()),
                Tok::Sym(">="),
                Tok::Num(NumLit::Money(500_0000_00)),
                Tok::Eof
            ]
        );
        assert_eq!(toks("3.5元")[0], Tok::Num(NumLit::Money(350)));
        assert_eq!(toks("10%")[0], Tok::Num(NumLit::Percent(100_000)));
        assert_eq!(toks("2.5")[0], Tok::Num(NumLit::Number(2_500_000)));
        assert_eq!(toks("高新20条")[0], Tok::Ident("高新20条".into()));
    }

    #[test]
    fn dates_and_positions_are_reported() {
        let t = lex("a\n  2021-02-28").unwrap();
        assert!(matches!(t[1].tok, Tok::Date(_)));
        assert_eq!(t[1].pos, Pos { line: 2, col: 3 });
        let e = lex("x 2021-02-30").unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, col: 3 });
    }

    #[test]
    fn comments_and_fullwidth_punctuation() {
        assert_eq!(
            toks("# 注释\n（a，b）// x"),
            vec![
                Tok::Sym("("),
                Tok::Ident("a".into()),
                Tok::Sym(","),
                Tok::Ident("b".into()),
                Tok::Sym(")"),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn too_precise_money_is_an_error() {
        assert!(lex("0.001元").is_err());
        assert!(lex("99999999999999999999999元").is_err());
        assert!(lex("5千").is_err());
    }
}
