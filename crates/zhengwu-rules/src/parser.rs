//! The parser: a hand-written recursive-descent parser with a nesting bound, so that a hostile
//! file gives an error, never a stack overflow. Key words are contextual and come in Chinese
//! and English (`条款`/`clause`, `条件`/`condition`, …).

use crate::ast::*;
use crate::error::{Pos, RuleError};
use crate::lexer::{NumLit, Tok, Token, lex};
use crate::value::Rounding;

/// How deeply expressions may nest.
pub const MAX_DEPTH: usize = 64;

/// Parses a policy file.
pub fn parse(src: &str) -> Result<PolicyFile, RuleError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        toks: tokens,
        i: 0,
        depth: 0,
    };
    p.file()
}

/// Parses one expression (used by tests and tools).
pub fn parse_expr(src: &str) -> Result<Expr, RuleError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        toks: tokens,
        i: 0,
        depth: 0,
    };
    let e = p.expr()?;
    p.expect_eof()?;
    Ok(e)
}

const RESERVED: &[&str] = &[
    "且",
    "或",
    "非",
    "and",
    "or",
    "not",
    "in",
    "属于",
    "不属于",
    "如果",
    "则",
    "否则",
    "if",
    "then",
    "else",
    "是",
    "否",
    "true",
    "false",
];

fn kw(t: &Tok, words: &[&str]) -> bool {
    matches!(t, Tok::Ident(s) if words.contains(&s.as_str()))
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.i).map_or(&Tok::Eof, |t| &t.tok)
    }
    fn peek_at(&self, k: usize) -> &Tok {
        self.toks.get(self.i + k).map_or(&Tok::Eof, |t| &t.tok)
    }
    fn pos(&self) -> Pos {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .map_or_else(Pos::default, |t| t.pos)
    }
    fn start(&self) -> usize {
        self.toks.get(self.i).map_or(0, |t| t.start)
    }
    fn prev_end(&self) -> usize {
        if self.i == 0 {
            0
        } else {
            self.toks.get(self.i - 1).map_or(0, |t| t.end)
        }
    }
    fn span_from(&self, pos: Pos, start: usize) -> Span {
        Span {
            pos,
            start,
            end: self.prev_end().max(start),
        }
    }
    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, RuleError> {
        Err(RuleError::new(self.pos(), msg))
    }
    fn describe(&self) -> String {
        match self.peek() {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Num(_) => "数字".into(),
            Tok::Date(_) => "日期".into(),
            Tok::Str(s) => format!("字符串 \"{s}\""),
            Tok::Sym(s) => format!("'{s}'"),
            Tok::Eof => "文件结尾".into(),
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> Result<(), RuleError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            self.err(format!("此处应为 '{s}',实为 {}", self.describe()))
        }
    }
    fn eat_kw(&mut self, words: &[&str]) -> bool {
        if kw(self.peek(), words) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect_eof(&self) -> Result<(), RuleError> {
        if matches!(self.peek(), Tok::Eof) {
            Ok(())
        } else {
            self.err(format!("多余的内容 {}", self.describe()))
        }
    }
    fn ident(&mut self, what: &str) -> Result<String, RuleError> {
        match self.peek().clone() {
            Tok::Ident(s) if !RESERVED.contains(&s.as_str()) => {
                self.i += 1;
                Ok(s)
            }
            _ => self.err(format!("此处应为{what}名称,实为 {}", self.describe())),
        }
    }
    fn string(&mut self, what: &str) -> Result<String, RuleError> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.i += 1;
                Ok(s)
            }
            _ => self.err(format!(
                "此处应为{what}(带引号的文字),实为 {}",
                self.describe()
            )),
        }
    }
    fn date(&mut self) -> Result<i32, RuleError> {
        match self.peek().clone() {
            Tok::Date(d) => {
                self.i += 1;
                Ok(d)
            }
            _ => self.err(format!("此处应为日期 YYYY-MM-DD,实为 {}", self.describe())),
        }
    }
    fn skip_semis(&mut self) {
        while self.eat_sym(";") {}
    }

    fn file(&mut self) -> Result<PolicyFile, RuleError> {
        let mut f = PolicyFile::default();
        loop {
            self.skip_semis();
            let pos = self.pos();
            let start = self.start();
            let t = self.peek().clone();
            if t == Tok::Eof {
                return Ok(f);
            }
            if self.eat_kw(&["政策", "policy"]) {
                f.title = Some(self.string("政策标题")?);
            } else if self.eat_kw(&["文号", "来源", "source"]) {
                f.source = Some(self.string("文号")?);
            } else if self.eat_kw(&["舍入", "rounding"]) {
                f.rounding = self.rounding()?;
            } else if self.eat_kw(&["枚举", "enum"]) {
                let name = self.ident("枚举")?;
                self.expect_sym("{")?;
                let mut variants = Vec::new();
                while !self.is_sym("}") {
                    let vp = self.pos();
                    let vs = self.start();
                    let v = self.ident("枚举值")?;
                    variants.push((v, self.span_from(vp, vs)));
                    if !self.eat_sym(",") && !self.is_sym("}") {
                        return self
                            .err(format!("枚举值之间应以逗号分隔,实为 {}", self.describe()));
                    }
                }
                self.expect_sym("}")?;
                f.enums.push(EnumDecl {
                    name,
                    variants,
                    span: self.span_from(pos, start),
                });
            } else if self.eat_kw(&["输入", "input"]) {
                let name = self.ident("输入")?;
                self.expect_sym(":")?;
                let ty = self.type_expr(0)?;
                let label = if let Tok::Str(s) = self.peek().clone() {
                    self.i += 1;
                    Some(s)
                } else {
                    None
                };
                f.inputs.push(InputDecl {
                    name,
                    ty,
                    label,
                    span: self.span_from(pos, start),
                });
            } else if self.eat_kw(&["参数", "param"]) {
                let name = self.ident("参数")?;
                let ty = if self.eat_sym(":") {
                    Some(self.type_expr(0)?)
                } else {
                    None
                };
                self.expect_sym("{")?;
                let mut values = Vec::new();
                while !self.is_sym("}") {
                    self.eat_kw(&["自", "from"]);
                    let d = self.date()?;
                    self.eat_kw(&["起"]);
                    self.expect_sym(":")?;
                    let e = self.expr()?;
                    values.push((d, e));
                    self.eat_sym(",");
                    self.skip_semis();
                }
                self.expect_sym("}")?;
                f.params.push(ParamDecl {
                    name,
                    ty,
                    values,
                    span: self.span_from(pos, start),
                });
            } else if self.eat_kw(&["定义", "let", "def"]) {
                let name = self.ident("定义")?;
                self.expect_sym("=")?;
                let expr = self.expr()?;
                f.defs.push(DefDecl {
                    name,
                    expr,
                    span: self.span_from(pos, start),
                });
            } else if self.eat_kw(&["条款", "clause"]) {
                let c = self.clause(pos, start)?;
                f.clauses.push(c);
            } else {
                return self.err(format!(
                    "此处应为 政策/文号/舍入/枚举/输入/参数/定义/条款 之一,实为 {}",
                    self.describe()
                ));
            }
        }
    }

    fn rounding(&mut self) -> Result<Rounding, RuleError> {
        let r = match self.peek() {
            t if kw(t, &["四舍五入", "half_up"]) => Rounding::HalfUp,
            t if kw(t, &["银行家舍入", "四舍六入五成双", "half_even"]) => {
                Rounding::HalfEven
            }
            t if kw(t, &["向下取整", "舍去", "down"]) => Rounding::Down,
            t if kw(t, &["向上取整", "进一", "up"]) => Rounding::Up,
            _ => {
                return self.err(format!(
                    "舍入规则应为 四舍五入/银行家舍入/向下取整/向上取整,实为 {}",
                    self.describe()
                ));
            }
        };
        self.i += 1;
        Ok(r)
    }

    fn type_expr(&mut self, depth: usize) -> Result<TypeExpr, RuleError> {
        let pos = self.pos();
        let start = self.start();
        if depth > 2 {
            return self.err("列表嵌套过深");
        }
        if self.eat_kw(&["列表", "list"]) {
            self.expect_sym("{")?;
            let mut fields = Vec::new();
            while !self.is_sym("}") {
                let fp = self.pos();
                let fs = self.start();
                let name = self.ident("字段")?;
                self.expect_sym(":")?;
                let ty = self.type_expr(depth + 1)?;
                fields.push((name, ty, self.span_from(fp, fs)));
                if !self.eat_sym(",") && !self.is_sym("}") {
                    return self.err(format!("字段之间应以逗号分隔,实为 {}", self.describe()));
                }
            }
            self.expect_sym("}")?;
            return Ok(TypeExpr::List(fields));
        }
        let name = self.ident("类型")?;
        Ok(TypeExpr::Named(name, self.span_from(pos, start)))
    }

    fn clause(&mut self, pos: Pos, start: usize) -> Result<ClauseDecl, RuleError> {
        let name = self.ident("条款")?;
        let title = if let Tok::Str(s) = self.peek().clone() {
            self.i += 1;
            Some(s)
        } else {
            None
        };
        self.expect_sym("{")?;
        let mut c = ClauseDecl {
            name,
            title,
            source: None,
            from: None,
            until: None,
            automatic: false,
            conditions: Vec::new(),
            amount: None,
            caps: Vec::new(),
            materials: Vec::new(),
            exceptions: Vec::new(),
            span: Span::default(),
        };
        loop {
            self.skip_semis();
            if self.eat_sym("}") {
                break;
            }
            let ipos = self.pos();
            let istart = self.start();
            if self.eat_kw(&["来源", "依据", "source"]) {
                c.source = Some(self.string("来源")?);
            } else if self.eat_kw(&["有效期", "effective"]) {
                c.from = Some(self.date()?);
                if self.eat_kw(&["至", "到", "to", "until"]) {
                    c.until = Some(self.date()?);
                } else {
                    self.eat_kw(&["起"]);
                }
            } else if self.eat_kw(&["免申即享", "automatic"]) {
                c.automatic = true;
            } else if self.eat_kw(&["条件", "condition"]) {
                let name = self.ident("条件")?;
                self.expect_sym(":")?;
                let expr = self.expr()?;
                c.conditions.push(CondDecl {
                    name,
                    expr,
                    span: self.span_from(ipos, istart),
                });
            } else if self.eat_kw(&["金额", "amount"]) {
                if c.amount.is_some() {
                    return Err(RuleError::new(ipos, "一个条款只能有一个金额公式"));
                }
                self.eat_sym(":");
                c.amount = Some(self.expr()?);
            } else if self.eat_kw(&["上限", "cap"]) {
                self.eat_sym(":");
                c.caps.push(self.expr()?);
            } else if self.eat_kw(&["材料", "materials"]) {
                self.eat_sym(":");
                loop {
                    c.materials.push(self.string("材料")?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else if self.eat_kw(&["例外", "exception"]) {
                let label = self.ident("例外")?;
                let paren = self.eat_sym("(");
                let mut priority = 1;
                if self.eat_kw(&["优先级", "priority"]) {
                    let neg = self.eat_sym("-");
                    match self.advance() {
                        Tok::Num(NumLit::Number(v)) if v % crate::value::DEC_SCALE == 0 => {
                            priority = v / crate::value::DEC_SCALE;
                            if neg {
                                priority = -priority;
                            }
                        }
                        _ => return Err(RuleError::new(ipos, "优先级应为整数")),
                    }
                }
                if paren {
                    self.expect_sym(")")?;
                }
                if !self.eat_kw(&["当", "when"]) {
                    return self.err(format!(
                        "例外应写明适用条件:'当 …',实为 {}",
                        self.describe()
                    ));
                }
                let when = self.expr()?;
                self.expect_sym("{")?;
                let mut ex = ExceptionDecl {
                    label,
                    priority,
                    when,
                    amount: None,
                    eligible: None,
                    span: Span::default(),
                };
                loop {
                    self.skip_semis();
                    if self.eat_sym("}") {
                        break;
                    }
                    if self.eat_kw(&["金额", "amount"]) {
                        self.eat_sym(":");
                        ex.amount = Some(self.expr()?);
                    } else if self.eat_kw(&["不予支持", "deny"]) {
                        ex.eligible = Some(false);
                    } else if self.eat_kw(&["予以支持", "grant"]) {
                        ex.eligible = Some(true);
                    } else {
                        return self.err(format!(
                            "例外中应为 金额 / 不予支持 / 予以支持,实为 {}",
                            self.describe()
                        ));
                    }
                }
                ex.span = self.span_from(ipos, istart);
                c.exceptions.push(ex);
            } else {
                return self.err(format!(
                    "条款中应为 来源/有效期/免申即享/条件/金额/上限/材料/例外 之一,实为 {}",
                    self.describe()
                ));
            }
        }
        c.span = self.span_from(pos, start);
        Ok(c)
    }

    // ---- expressions ----

    fn enter(&mut self) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(format!("表达式嵌套超过 {MAX_DEPTH} 层"));
        }
        Ok(())
    }

    /// An expression.
    pub fn expr(&mut self) -> Result<Expr, RuleError> {
        self.enter()?;
        let r = self.or_expr();
        self.depth -= 1;
        r
    }

    fn bin(&self, op: BinOp, l: Expr, r: Expr) -> Expr {
        let span = Span {
            pos: l.span.pos,
            start: l.span.start,
            end: r.span.end,
        };
        Expr {
            kind: ExprKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    fn or_expr(&mut self) -> Result<Expr, RuleError> {
        let mut l = self.and_expr()?;
        loop {
            if self.eat_kw(&["或", "or"]) || self.eat_sym("||") {
                let r = self.and_expr()?;
                l = self.bin(BinOp::Or, l, r);
            } else {
                return Ok(l);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Expr, RuleError> {
        let mut l = self.not_expr()?;
        loop {
            if self.eat_kw(&["且", "and", "并且"]) || self.eat_sym("&&") {
                let r = self.not_expr()?;
                l = self.bin(BinOp::And, l, r);
            } else {
                return Ok(l);
            }
        }
    }

    fn not_expr(&mut self) -> Result<Expr, RuleError> {
        let pos = self.pos();
        let start = self.start();
        if self.eat_kw(&["非", "not"]) || self.eat_sym("!") {
            self.enter()?;
            let e = self.not_expr();
            self.depth -= 1;
            let e = e?;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(e)),
                span: self.span_from(pos, start),
            });
        }
        self.cmp_expr()
    }

    fn cmp_expr(&mut self) -> Result<Expr, RuleError> {
        let l = self.add_expr()?;
        let op = match self.peek() {
            Tok::Sym("=") => Some(BinOp::Eq),
            Tok::Sym("!=") => Some(BinOp::Ne),
            Tok::Sym("<") => Some(BinOp::Lt),
            Tok::Sym("<=") => Some(BinOp::Le),
            Tok::Sym(">") => Some(BinOp::Gt),
            Tok::Sym(">=") => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.i += 1;
            let r = self.add_expr()?;
            return Ok(self.bin(op, l, r));
        }
        let negated = if kw(self.peek(), &["不属于"])
            || (kw(self.peek(), &["not"]) && kw(self.peek_at(1), &["in"]))
        {
            if kw(self.peek(), &["not"]) {
                self.i += 1;
            }
            self.i += 1;
            Some(true)
        } else if self.eat_kw(&["属于", "in"]) {
            Some(false)
        } else {
            None
        };
        if let Some(negated) = negated {
            self.expect_sym("{")?;
            let mut set = Vec::new();
            while !self.is_sym("}") {
                set.push(self.add_expr()?);
                if !self.eat_sym(",") && !self.is_sym("}") {
                    return self.err(format!("集合元素之间应以逗号分隔,实为 {}", self.describe()));
                }
            }
            self.expect_sym("}")?;
            let span = Span {
                pos: l.span.pos,
                start: l.span.start,
                end: self.prev_end(),
            };
            return Ok(Expr {
                kind: ExprKind::In {
                    value: Box::new(l),
                    set,
                    negated,
                },
                span,
            });
        }
        Ok(l)
    }

    fn add_expr(&mut self) -> Result<Expr, RuleError> {
        let mut l = self.mul_expr()?;
        loop {
            let op = if self.eat_sym("+") {
                BinOp::Add
            } else if self.eat_sym("-") {
                BinOp::Sub
            } else {
                return Ok(l);
            };
            let r = self.mul_expr()?;
            l = self.bin(op, l, r);
        }
    }

    fn mul_expr(&mut self) -> Result<Expr, RuleError> {
        let mut l = self.unary()?;
        loop {
            let op = if self.eat_sym("*") {
                BinOp::Mul
            } else if self.eat_sym("/") {
                BinOp::Div
            } else {
                return Ok(l);
            };
            let r = self.unary()?;
            l = self.bin(op, l, r);
        }
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        let pos = self.pos();
        let start = self.start();
        if self.eat_sym("-") {
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            let e = e?;
            // Fold negative literals.
            let kind = match e.kind {
                ExprKind::Num(NumLit::Number(v)) => ExprKind::Num(NumLit::Number(-v)),
                ExprKind::Num(NumLit::Percent(v)) => ExprKind::Num(NumLit::Percent(-v)),
                ExprKind::Num(NumLit::Money(v)) => ExprKind::Num(NumLit::Money(-v)),
                other => ExprKind::Neg(Box::new(Expr {
                    kind: other,
                    span: e.span,
                })),
            };
            return Ok(Expr {
                kind,
                span: self.span_from(pos, start),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        let pos = self.pos();
        let start = self.start();
        let kind = match self.peek().clone() {
            Tok::Num(n) => {
                self.i += 1;
                ExprKind::Num(n)
            }
            Tok::Date(d) => {
                self.i += 1;
                ExprKind::Date(d)
            }
            Tok::Sym("(") => {
                self.i += 1;
                let e = self.expr()?;
                self.expect_sym(")")?;
                return Ok(Expr {
                    kind: e.kind,
                    span: self.span_from(pos, start),
                });
            }
            Tok::Sym("{") => {
                self.i += 1;
                let mut rows = Vec::new();
                while !self.is_sym("}") {
                    let k = self.expr()?;
                    self.expect_sym("=>")?;
                    let v = self.expr()?;
                    rows.push((k, v));
                    if !self.eat_sym(",") && !self.is_sym("}") {
                        return self.err(format!(
                            "分段表各行之间应以逗号分隔,实为 {}",
                            self.describe()
                        ));
                    }
                }
                self.expect_sym("}")?;
                ExprKind::Table(rows)
            }
            Tok::Ident(s) if kw(&Tok::Ident(s.clone()), &["是", "true"]) => {
                self.i += 1;
                ExprKind::Bool(true)
            }
            Tok::Ident(s) if kw(&Tok::Ident(s.clone()), &["否", "false"]) => {
                self.i += 1;
                ExprKind::Bool(false)
            }
            Tok::Ident(s) if s == "如果" || s == "if" => {
                self.i += 1;
                let c = self.expr()?;
                if !self.eat_kw(&["则", "then"]) {
                    return self.err(format!("此处应为 '则',实为 {}", self.describe()));
                }
                let a = self.expr()?;
                if !self.eat_kw(&["否则", "else"]) {
                    return self.err(format!("此处应为 '否则',实为 {}", self.describe()));
                }
                let b = self.expr()?;
                ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
            }
            Tok::Ident(_) => {
                let name = self.ident("")?;
                if self.eat_sym("(") {
                    let mut args = Vec::new();
                    while !self.is_sym(")") {
                        args.push(self.expr()?);
                        if args.len() > 64 {
                            return self.err("参数过多");
                        }
                        if !self.eat_sym(",") && !self.is_sym(")") {
                            return self
                                .err(format!("函数参数之间应以逗号分隔,实为 {}", self.describe()));
                        }
                    }
                    self.expect_sym(")")?;
                    ExprKind::Call(name, args)
                } else {
                    ExprKind::Name(name)
                }
            }
            _ => return self.err(format!("此处应为表达式,实为 {}", self.describe())),
        };
        Ok(Expr {
            kind,
            span: self.span_from(pos, start),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_is_arithmetic_then_comparison_then_logic() {
        let e = parse_expr("a + b * c >= 3% 且 非 d 或 e").unwrap();
        let ExprKind::Binary(BinOp::Or, l, _) = e.kind else {
            panic!("{e:?}")
        };
        let ExprKind::Binary(BinOp::And, l2, r2) = l.kind else {
            panic!()
        };
        assert!(matches!(l2.kind, ExprKind::Binary(BinOp::Ge, _, _)));
        assert!(matches!(r2.kind, ExprKind::Not(_)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let src = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = parse_expr(&src).unwrap_err();
        assert!(e.message.contains("嵌套"));
        let src = format!("{}1", "-".repeat(10_000));
        assert!(parse_expr(&src).is_err());
        let src = format!("{}x", "非 ".repeat(10_000));
        assert!(parse_expr(&src).is_err());
    }

    #[test]
    fn a_clause_parses_with_chinese_keywords() {
        let f = parse(
            r#"
            政策 "示例"
            输入 研发投入: 金额
            条款 研发补助 "研发投入补助" {
              来源 "第三条"
              有效期 2021-01-01 至 2025-12-31
              条件 投入达标: 研发投入 >= 100万元
              金额 研发投入 * 10%
              上限 500万元
              材料 "审计报告", "营业执照"
              例外 特批 (优先级 2) 当 研发投入 > 1亿元 { 金额 1000万元 }
            }"#,
        )
        .unwrap();
        assert_eq!(f.clauses.len(), 1);
        let c = &f.clauses[0];
        assert_eq!(c.conditions[0].name, "投入达标");
        assert_eq!(c.materials.len(), 2);
        assert_eq!(c.exceptions[0].priority, 2);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = parse("输入 a: 金额\n条款 x {\n  条件 c: a >=\n}").unwrap_err();
        assert_eq!(e.pos.line, 4);
        assert_eq!(e.pos.col, 1);
    }
}
