//! Name resolution and type checking: turns a [`PolicyFile`] into a typed [`Program`] whose
//! expressions are [`Node`] trees ready for column-at-a-time evaluation. Every unknown name and
//! type error is reported with its line and column, before anything runs.

use std::collections::HashMap;

use crate::ast::*;
use crate::error::{Diagnostics, Pos, RuleError};
use crate::lexer::NumLit;
use crate::parser::parse;
use crate::value::{DEC_SCALE, Rounding, format_date};

/// Most conditions one clause may have (a bound on work; each condition's results are a
/// bitmap, so nothing in the engine limits them).
pub const MAX_CONDITIONS: usize = 1024;
/// Most exceptions one clause may have (the exception applied is recorded in a byte).
pub const MAX_EXCEPTIONS: usize = 250;
/// Most evaluation steps one expression may expand to (definitions are inlined): a bound on work.
pub const MAX_EXPANDED_NODES: u64 = 100_000;

/// A static type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// A plain number (decimal, six places).
    Num,
    /// A ratio (decimal, shown as a percentage).
    Ratio,
    /// Money in fen.
    Money,
    /// A date.
    Date,
    /// A boolean (three-valued at run time: yes, no, unknown).
    Bool,
    /// A value of enumeration `n` (index into [`Program::enums`]).
    Enum(usize),
    /// A list input (index into [`Program::inputs`]).
    List(usize),
    /// A bracket table: thresholds of the first type, values of the second.
    Table(Box<Ty>, Box<Ty>),
    /// After an error (suppresses follow-on errors).
    Error,
}

impl Ty {
    fn numeric(&self) -> bool {
        matches!(self, Ty::Num | Ty::Ratio | Ty::Money)
    }
    fn dec(&self) -> bool {
        matches!(self, Ty::Num | Ty::Ratio)
    }
    /// The Chinese name of the type, given the program for enumeration names.
    pub fn zh(&self, p: &Program) -> String {
        match self {
            Ty::Num => "数".into(),
            Ty::Ratio => "比例".into(),
            Ty::Money => "金额".into(),
            Ty::Date => "日期".into(),
            Ty::Bool => "布尔".into(),
            Ty::Enum(e) => p.enums.get(*e).map_or("枚举".into(), |e| e.name.clone()),
            Ty::List(i) => format!("列表 {}", p.inputs.get(*i).map_or("", |x| x.name.as_str())),
            Ty::Table(k, v) => format!("分段表({} => {})", k.zh(p), v.zh(p)),
            Ty::Error => "?".into(),
        }
    }
}

/// Arithmetic operations, specialised by type at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// decimal × decimal
    MulDec,
    /// money × decimal, rounded to the fen by the policy's rule
    MulMoney,
    /// decimal ÷ decimal, or money ÷ money (a ratio)
    DivDec,
    /// money ÷ decimal, rounded to the fen by the policy's rule
    DivMoney,
}

/// Comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A bracket table: from the parameter in force, or written inline.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRef {
    /// A dated parameter.
    Param(usize),
    /// Written in the formula.
    Inline(Vec<(i64, i64)>),
}

/// A typed expression, evaluated over columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A known constant.
    Const(i64),
    /// A record-level input (index into [`Program::inputs`]).
    Input(usize),
    /// A field of the current list element: (list input, field).
    Field(usize, usize),
    /// A dated parameter (index into [`Program::params`]).
    Param(usize),
    /// A definition (index into [`Program::defs`]), evaluated in place.
    Def(usize),
    /// The date the policy is evaluated for.
    EvalDate,
    /// `-x`
    Neg(Box<Node>),
    /// `非 x`
    Not(Box<Node>),
    /// Arithmetic.
    Arith(ArOp, Box<Node>, Box<Node>),
    /// Comparison.
    Cmp(CmpOp, Box<Node>, Box<Node>),
    /// Three-valued and.
    And(Box<Node>, Box<Node>),
    /// Three-valued or.
    Or(Box<Node>, Box<Node>),
    /// Membership of an enumeration value: `table[value]`.
    InEnum(Box<Node>, Vec<bool>, bool),
    /// Membership of another scalar value.
    InSet(Box<Node>, Vec<i64>, bool),
    /// `如果 c 则 a 否则 b`
    If(Box<Node>, Box<Node>, Box<Node>),
    /// Smallest.
    Min(Vec<Node>),
    /// Largest.
    Max(Vec<Node>),
    /// Round money to a multiple of this many fen (100 = 元), by the policy's rule.
    RoundTo(Box<Node>, i64),
    /// Brackets. `marginal`: sum of each slice × its rate; else the value of the bracket reached.
    Brackets {
        /// The amount measured.
        x: Box<Node>,
        /// The table.
        table: TableRef,
        /// Marginal (累进) or flat (分档).
        marginal: bool,
        /// For marginal money: round with the policy's rule (else half-up).
        money: bool,
    },
    /// Whole years between two dates.
    Years(Box<Node>, Box<Node>),
    /// Whole months between two dates.
    Months(Box<Node>, Box<Node>),
    /// Days between two dates.
    Days(Box<Node>, Box<Node>),
    /// Whether a value is known (never unknown itself).
    Known(Box<Node>),
    /// The value, or the default when unknown.
    Default(Box<Node>, Box<Node>),
    /// Number of elements of a list (matching a filter).
    Count {
        /// The list input.
        list: usize,
        /// Element filter.
        filter: Option<Box<Node>>,
    },
    /// Sum over elements of a list (matching a filter).
    Sum {
        /// The list input.
        list: usize,
        /// Element value.
        value: Box<Node>,
        /// Element filter.
        filter: Option<Box<Node>>,
    },
}

/// An enumeration.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumInfo {
    /// Its name.
    pub name: String,
    /// Its values, by index.
    pub variants: Vec<String>,
}

/// An input the policy reads.
#[derive(Debug, Clone, PartialEq)]
pub struct InputInfo {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// For a list: its fields and their types.
    pub fields: Vec<(String, Ty)>,
    /// Description.
    pub label: Option<String>,
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum PValue {
    /// A scalar.
    Scalar(i64),
    /// A bracket table (thresholds ascending).
    Table(Vec<(i64, i64)>),
}

/// A dated parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Values by effective date, ascending.
    pub values: Vec<(i32, PValue)>,
}

impl ParamInfo {
    /// The value in force on `date`, with the date it took effect.
    pub fn at(&self, date: i32) -> Option<(i32, &PValue)> {
        self.values
            .iter()
            .rev()
            .find(|(d, _)| *d <= date)
            .map(|(d, v)| (*d, v))
    }
}

/// A checked expression with what it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    /// The evaluation tree.
    pub node: Node,
    /// Its type.
    pub ty: Ty,
    /// The source text.
    pub text: String,
    /// Where it is.
    pub pos: Pos,
    /// Inputs read (directly or through definitions), in order of first use.
    pub inputs: Vec<usize>,
    /// Parameters read (directly or through definitions).
    pub params: Vec<usize>,
    /// Definitions used directly.
    pub defs: Vec<usize>,
}

/// A definition.
#[derive(Debug, Clone, PartialEq)]
pub struct DefInfo {
    /// Its name.
    pub name: String,
    /// Its formula.
    pub formula: Formula,
    expanded: u64,
}

/// A named condition.
#[derive(Debug, Clone, PartialEq)]
pub struct CondInfo {
    /// Its name.
    pub name: String,
    /// A boolean formula.
    pub formula: Formula,
}

/// An exception.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionInfo {
    /// Its label.
    pub label: String,
    /// Its priority (higher wins).
    pub priority: i64,
    /// When it applies.
    pub when: Formula,
    /// Replacement amount.
    pub amount: Option<Formula>,
    /// Eligibility override.
    pub eligible: Option<bool>,
}

/// A clause.
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseInfo {
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: Option<String>,
    /// The legal source.
    pub source: Option<String>,
    /// Effective from (inclusive).
    pub from: Option<i32>,
    /// Effective until (inclusive).
    pub until: Option<i32>,
    /// 免申即享.
    pub automatic: bool,
    /// Conditions.
    pub conditions: Vec<CondInfo>,
    /// Amount formula (money); none means the clause grants no money (a qualification).
    pub amount: Option<Formula>,
    /// Caps.
    pub caps: Vec<Formula>,
    /// Materials.
    pub materials: Vec<String>,
    /// Exceptions, by descending priority.
    pub exceptions: Vec<ExceptionInfo>,
}

impl ClauseInfo {
    /// Whether the clause is in force on `date`.
    pub fn in_force(&self, date: i32) -> bool {
        self.from.is_none_or(|f| date >= f) && self.until.is_none_or(|u| date <= u)
    }
    /// The effective period in words.
    pub fn period_zh(&self) -> String {
        match (self.from, self.until) {
            (Some(f), Some(u)) => format!("{} 至 {}", format_date(f), format_date(u)),
            (Some(f), None) => format!("{} 起", format_date(f)),
            (None, Some(u)) => format!("至 {}", format_date(u)),
            (None, None) => "长期".into(),
        }
    }
}

/// A compiled, type-checked policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Title.
    pub title: Option<String>,
    /// Document number.
    pub source: Option<String>,
    /// Money rounding rule.
    pub rounding: Rounding,
    /// Enumerations.
    pub enums: Vec<EnumInfo>,
    /// Inputs.
    pub inputs: Vec<InputInfo>,
    /// Parameters.
    pub params: Vec<ParamInfo>,
    /// Definitions.
    pub defs: Vec<DefInfo>,
    /// Clauses.
    pub clauses: Vec<ClauseInfo>,
}

impl Program {
    /// Index of an input by name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i.name == name)
    }
    /// Index of a clause by name.
    pub fn clause_index(&self, name: &str) -> Option<usize> {
        self.clauses.iter().position(|c| c.name == name)
    }
}

/// Parses and checks a policy.
pub fn compile(src: &str) -> Result<Program, Diagnostics> {
    let file = parse(src)?;
    Checker::new(src).run(&file)
}

#[derive(Clone, Copy)]
enum Sym {
    Input(usize),
    Param(usize),
    Def(usize),
}

struct Checker<'s> {
    src: &'s str,
    errors: Vec<RuleError>,
    p: Program,
    names: HashMap<String, Sym>,
    /// Enumeration types (their own namespace: an input may share its type's name).
    types: HashMap<String, usize>,
    /// variant name → (enum, index) for every enum that has it.
    variants: HashMap<String, Vec<(usize, usize)>>,
    /// Current list context: (list input, fields).
    list_ctx: Option<usize>,
    // Collected while checking one formula.
    used_inputs: Vec<usize>,
    used_params: Vec<usize>,
    used_defs: Vec<usize>,
    expanded: u64,
}

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

impl<'s> Checker<'s> {
    fn new(src: &'s str) -> Self {
        Self {
            src,
            errors: Vec::new(),
            p: Program {
                title: None,
                source: None,
                rounding: Rounding::HalfUp,
                enums: Vec::new(),
                inputs: Vec::new(),
                params: Vec::new(),
                defs: Vec::new(),
                clauses: Vec::new(),
            },
            names: HashMap::new(),
            types: HashMap::new(),
            variants: HashMap::new(),
            list_ctx: None,
            used_inputs: Vec::new(),
            used_params: Vec::new(),
            used_defs: Vec::new(),
            expanded: 0,
        }
    }

    fn error(&mut self, pos: Pos, msg: impl Into<String>) {
        if self.errors.len() < 200 {
            self.errors.push(RuleError::new(pos, msg));
        }
    }

    fn declare(&mut self, name: &str, sym: Sym, pos: Pos) {
        if self.names.contains_key(name) {
            self.error(pos, format!("名称 '{name}' 重复定义 (duplicate name)"));
        } else {
            self.names.insert(name.to_string(), sym);
        }
    }

    fn run(mut self, f: &PolicyFile) -> Result<Program, Diagnostics> {
        self.p.title = f.title.clone();
        self.p.source = f.source.clone();
        self.p.rounding = f.rounding;
        for e in &f.enums {
            let idx = self.p.enums.len();
            if self.types.insert(e.name.clone(), idx).is_some() {
                self.error(e.span.pos, format!("枚举 '{}' 重复定义", e.name));
            }
            let mut vs: Vec<String> = Vec::new();
            for (v, sp) in &e.variants {
                if vs.contains(v) {
                    self.error(sp.pos, format!("枚举值 '{v}' 重复"));
                    continue;
                }
                self.variants
                    .entry(v.clone())
                    .or_default()
                    .push((idx, vs.len()));
                vs.push(v.clone());
            }
            if vs.is_empty() {
                self.error(e.span.pos, format!("枚举 '{}' 没有任何值", e.name));
            }
            self.p.enums.push(EnumInfo {
                name: e.name.clone(),
                variants: vs,
            });
        }
        for i in &f.inputs {
            let idx = self.p.inputs.len();
            let (ty, fields) = match &i.ty {
                TypeExpr::Named(..) => (self.resolve_type(&i.ty), Vec::new()),
                TypeExpr::List(fs) => {
                    let mut fields: Vec<(String, Ty)> = Vec::new();
                    for (name, t, sp) in fs {
                        let ft = self.resolve_type(t);
                        if matches!(ft, Ty::List(_)) {
                            self.error(sp.pos, "列表的字段不能是列表");
                        }
                        if fields.iter().any(|(n, _)| n == name) {
                            self.error(sp.pos, format!("字段 '{name}' 重复"));
                        }
                        fields.push((name.clone(), ft));
                    }
                    (Ty::List(idx), fields)
                }
            };
            self.declare(&i.name, Sym::Input(idx), i.span.pos);
            self.p.inputs.push(InputInfo {
                name: i.name.clone(),
                ty,
                fields,
                label: i.label.clone(),
            });
        }
        for pdecl in &f.params {
            let idx = self.p.params.len();
            let declared = pdecl.ty.as_ref().map(|t| self.resolve_type(t));
            let mut ty: Option<Ty> = declared.clone().filter(|t| !matches!(t, Ty::Table(..)));
            let mut values: Vec<(i32, PValue)> = Vec::new();
            if pdecl.values.is_empty() {
                self.error(
                    pdecl.span.pos,
                    format!("参数 '{}' 没有任何取值", pdecl.name),
                );
            }
            for (d, e) in &pdecl.values {
                if let Some((t, v)) = self.const_value(e, ty.as_ref()) {
                    match &ty {
                        Some(expected) if !compatible(expected, &t) => {
                            let msg = format!(
                                "参数 '{}' 的取值类型为 {},应为 {}",
                                pdecl.name,
                                t.zh(&self.p),
                                expected.zh(&self.p)
                            );
                            self.error(e.span.pos, msg);
                        }
                        Some(_) => {}
                        None => ty = Some(t),
                    }
                    if values.iter().any(|(x, _)| x == d) {
                        self.error(
                            e.span.pos,
                            format!("参数 '{}' 在 {} 有两个取值", pdecl.name, format_date(*d)),
                        );
                    }
                    values.push((*d, v));
                }
            }
            if matches!(declared, Some(Ty::Table(..))) && !matches!(ty, Some(Ty::Table(..)) | None)
            {
                self.error(
                    pdecl.span.pos,
                    format!("参数 '{}' 声明为分段表,取值却不是分段表", pdecl.name),
                );
            }
            values.sort_by_key(|(d, _)| *d);
            self.declare(&pdecl.name, Sym::Param(idx), pdecl.span.pos);
            self.p.params.push(ParamInfo {
                name: pdecl.name.clone(),
                ty: ty.unwrap_or(Ty::Error),
                values,
            });
        }
        for d in &f.defs {
            let formula = self.formula(&d.expr, None);
            let expanded = self.expanded;
            if let Some(formula) = formula {
                let idx = self.p.defs.len();
                self.declare(&d.name, Sym::Def(idx), d.span.pos);
                self.p.defs.push(DefInfo {
                    name: d.name.clone(),
                    formula,
                    expanded,
                });
            } else {
                // Keep the name known so uses do not cascade.
                let idx = self.p.defs.len();
                self.declare(&d.name, Sym::Def(idx), d.span.pos);
                self.p.defs.push(DefInfo {
                    name: d.name.clone(),
                    formula: Formula {
                        node: Node::Const(0),
                        ty: Ty::Error,
                        text: String::new(),
                        pos: d.span.pos,
                        inputs: vec![],
                        params: vec![],
                        defs: vec![],
                    },
                    expanded: 1,
                });
            }
        }
        let mut clause_names: Vec<&str> = Vec::new();
        for c in &f.clauses {
            if clause_names.contains(&c.name.as_str()) {
                self.error(c.span.pos, format!("条款 '{}' 重复", c.name));
            }
            clause_names.push(&c.name);
            let ci = self.clause(c);
            self.p.clauses.push(ci);
        }
        if self.errors.is_empty() {
            Ok(self.p)
        } else {
            self.errors.sort_by_key(|e| (e.pos.line, e.pos.col));
            Err(Diagnostics(self.errors))
        }
    }

    fn clause(&mut self, c: &ClauseDecl) -> ClauseInfo {
        if let (Some(f), Some(u)) = (c.from, c.until)
            && u < f
        {
            self.error(
                c.span.pos,
                format!("条款 '{}' 的有效期结束早于开始", c.name),
            );
        }
        if c.conditions.len() > MAX_CONDITIONS || c.exceptions.len() > MAX_EXCEPTIONS {
            self.error(
                c.span.pos,
                format!("一个条款最多 {MAX_CONDITIONS} 个条件、{MAX_EXCEPTIONS} 个例外"),
            );
        }
        let mut conditions = Vec::new();
        for cd in &c.conditions {
            if conditions.iter().any(|x: &CondInfo| x.name == cd.name) {
                self.error(cd.span.pos, format!("条件 '{}' 重复", cd.name));
            }
            if let Some(f) = self.formula(&cd.expr, Some(&Ty::Bool)) {
                self.expect_ty(&f, &Ty::Bool, "条件");
                conditions.push(CondInfo {
                    name: cd.name.clone(),
                    formula: f,
                });
            }
        }
        let amount = c
            .amount
            .as_ref()
            .and_then(|e| self.money_formula(e, "金额"));
        let caps: Vec<Formula> = c
            .caps
            .iter()
            .filter_map(|e| self.money_formula(e, "上限"))
            .collect();
        if amount.is_none() && !caps.is_empty() && c.amount.is_some() {
            // error already reported
        } else if c.amount.is_none() && !c.caps.is_empty() {
            self.error(c.span.pos, format!("条款 '{}' 有上限但没有金额", c.name));
        }
        let mut exceptions: Vec<ExceptionInfo> = Vec::new();
        for ex in &c.exceptions {
            if exceptions.iter().any(|x| x.label == ex.label) {
                self.error(ex.span.pos, format!("例外 '{}' 重复", ex.label));
            }
            let when = self.formula(&ex.when, Some(&Ty::Bool));
            if let Some(w) = &when {
                self.expect_ty(w, &Ty::Bool, "例外条件");
            }
            let amount = ex
                .amount
                .as_ref()
                .and_then(|e| self.money_formula(e, "例外金额"));
            if ex.amount.is_some() && c.amount.is_none() {
                self.error(ex.span.pos, "条款没有金额公式,例外不能改变金额");
            }
            if ex.amount.is_none() && ex.eligible.is_none() {
                self.error(
                    ex.span.pos,
                    format!(
                        "例外 '{}' 没有改变任何结论(金额 / 不予支持 / 予以支持)",
                        ex.label
                    ),
                );
            }
            // Two exceptions of equal priority with the very same condition can never be told
            // apart: that conflict is certain, so it is an error now.
            if let Some(w) = &when
                && let Some(other) = exceptions
                    .iter()
                    .find(|o| o.priority == ex.priority && o.when.node == w.node)
            {
                let msg = format!(
                    "例外 '{}' 与 '{}' 优先级相同且条件相同:二者同时适用时无法裁决 (conflict)",
                    ex.label, other.label
                );
                self.error(ex.span.pos, msg);
            }
            if let Some(when) = when {
                exceptions.push(ExceptionInfo {
                    label: ex.label.clone(),
                    priority: ex.priority,
                    when,
                    amount,
                    eligible: ex.eligible,
                });
            }
        }
        exceptions.sort_by_key(|e| std::cmp::Reverse(e.priority));
        ClauseInfo {
            name: c.name.clone(),
            title: c.title.clone(),
            source: c.source.clone(),
            from: c.from,
            until: c.until,
            automatic: c.automatic,
            conditions,
            amount,
            caps,
            materials: c.materials.clone(),
            exceptions,
        }
    }

    fn money_formula(&mut self, e: &Expr, what: &str) -> Option<Formula> {
        let f = self.formula(e, Some(&Ty::Money))?;
        self.expect_ty(&f, &Ty::Money, what);
        Some(f)
    }

    fn expect_ty(&mut self, f: &Formula, want: &Ty, what: &str) {
        if f.ty != *want && f.ty != Ty::Error {
            let hint = if *want == Ty::Money && f.ty.dec() {
                "(金额须带单位,例如 100万元;数 × 金额 得金额)"
            } else {
                ""
            };
            let msg = format!(
                "{what}的类型应为 {},实为 {}{hint}",
                want.zh(&self.p),
                f.ty.zh(&self.p)
            );
            self.error(f.pos, msg);
        }
    }

    fn formula(&mut self, e: &Expr, expected: Option<&Ty>) -> Option<Formula> {
        self.used_inputs.clear();
        self.used_params.clear();
        self.used_defs.clear();
        self.expanded = 0;
        let before = self.errors.len();
        let (node, ty) = self.expr(e, expected);
        if self.expanded > MAX_EXPANDED_NODES {
            self.error(
                e.span.pos,
                format!("表达式展开后过大(超过 {MAX_EXPANDED_NODES} 步)"),
            );
        }
        if self.errors.len() > before {
            return None;
        }
        let text = self
            .src
            .get(e.span.start..e.span.end)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Some(Formula {
            node,
            ty,
            text,
            pos: e.span.pos,
            inputs: self.used_inputs.clone(),
            params: self.used_params.clone(),
            defs: self.used_defs.clone(),
        })
    }

    fn resolve_type(&mut self, t: &TypeExpr) -> Ty {
        match t {
            TypeExpr::Named(n, sp) => match n.as_str() {
                "金额" | "money" => Ty::Money,
                "数" | "数值" | "number" => Ty::Num,
                "比例" | "ratio" => Ty::Ratio,
                "日期" | "date" => Ty::Date,
                "布尔" | "是否" | "bool" => Ty::Bool,
                "分段表" | "table" => Ty::Table(Box::new(Ty::Error), Box::new(Ty::Error)),
                _ => match self.types.get(n) {
                    Some(i) => Ty::Enum(*i),
                    None => {
                        self.error(
                            sp.pos,
                            format!("未知类型 '{n}'(可用:金额、数、比例、日期、布尔、列表 {{…}}、已声明的枚举)"),
                        );
                        Ty::Error
                    }
                },
            },
            TypeExpr::List(_) => {
                self.error(Pos::default(), "列表只能用于输入");
                Ty::Error
            }
        }
    }

    /// A constant for a parameter value: a literal, an enumeration value, or a table of them.
    fn const_value(&mut self, e: &Expr, expected: Option<&Ty>) -> Option<(Ty, PValue)> {
        if let ExprKind::Table(rows) = &e.kind {
            let (ek, ev) = match expected {
                Some(Ty::Table(k, v)) => (Some(k.as_ref().clone()), Some(v.as_ref().clone())),
                _ => (None, None),
            };
            let mut out = Vec::new();
            let (mut kt, mut vt) = (
                ek.filter(|t| *t != Ty::Error),
                ev.filter(|t| *t != Ty::Error),
            );
            for (k, v) in rows {
                let (kty, kv) = self.scalar_const(k, kt.as_ref())?;
                let (vty, vv) = self.scalar_const(v, vt.as_ref())?;
                if let Some(prev) = &kt
                    && !compatible(prev, &kty)
                {
                    self.error(k.span.pos, "分段表的门槛类型不一致");
                    return None;
                }
                if let Some(prev) = &vt
                    && !compatible(prev, &vty)
                {
                    self.error(v.span.pos, "分段表的取值类型不一致");
                    return None;
                }
                if let Some((pk, _)) = out.last()
                    && kv <= *pk
                {
                    self.error(k.span.pos, "分段表的门槛须从小到大排列");
                    return None;
                }
                kt.get_or_insert(kty);
                vt.get_or_insert(vty);
                out.push((kv, vv));
            }
            if out.is_empty() {
                self.error(e.span.pos, "分段表不能为空");
                return None;
            }
            let (Some(kt), Some(vt)) = (kt, vt) else {
                return None;
            };
            if !kt.numeric() {
                self.error(e.span.pos, "分段表的门槛须为数或金额");
                return None;
            }
            return Some((Ty::Table(Box::new(kt), Box::new(vt)), PValue::Table(out)));
        }
        let (t, v) = self.scalar_const(e, expected)?;
        Some((t, PValue::Scalar(v)))
    }

    fn scalar_const(&mut self, e: &Expr, expected: Option<&Ty>) -> Option<(Ty, i64)> {
        match &e.kind {
            ExprKind::Num(NumLit::Number(v)) => Some((Ty::Num, *v)),
            ExprKind::Num(NumLit::Percent(v)) => Some((Ty::Ratio, *v)),
            ExprKind::Num(NumLit::Money(v)) => Some((Ty::Money, *v)),
            ExprKind::Date(d) => Some((Ty::Date, i64::from(*d))),
            ExprKind::Bool(b) => Some((Ty::Bool, i64::from(*b))),
            ExprKind::Name(n) => {
                if let Some((en, vi)) = self.variant(n, expected) {
                    return Some((Ty::Enum(en), vi as i64));
                }
                self.error(e.span.pos, format!("此处须为常量,'{n}' 不是已知的枚举值"));
                None
            }
            _ => {
                self.error(
                    e.span.pos,
                    "此处须为常量(数、金额、比例、日期、是/否 或 枚举值)",
                );
                None
            }
        }
    }

    fn variant(&self, n: &str, expected: Option<&Ty>) -> Option<(usize, usize)> {
        let cands = self.variants.get(n)?;
        if let Some(Ty::Enum(e)) = expected {
            return cands.iter().find(|(en, _)| en == e).copied();
        }
        if cands.len() == 1 {
            cands.first().copied()
        } else {
            None
        }
    }

    fn expr(&mut self, e: &Expr, expected: Option<&Ty>) -> (Node, Ty) {
        self.expanded = self.expanded.saturating_add(1);
        let pos = e.span.pos;
        match &e.kind {
            ExprKind::Num(NumLit::Number(v)) => (Node::Const(*v), Ty::Num),
            ExprKind::Num(NumLit::Percent(v)) => (Node::Const(*v), Ty::Ratio),
            ExprKind::Num(NumLit::Money(v)) => (Node::Const(*v), Ty::Money),
            ExprKind::Date(d) => (Node::Const(i64::from(*d)), Ty::Date),
            ExprKind::Bool(b) => (Node::Const(i64::from(*b)), Ty::Bool),
            ExprKind::Table(_) => {
                self.error(pos, "分段表只能用作参数的取值或 累进/分档 的参数");
                (Node::Const(0), Ty::Error)
            }
            ExprKind::Name(n) => self.name(n, pos, expected),
            ExprKind::Neg(x) => {
                let (n, t) = self.expr(x, expected);
                if !t.numeric() && t != Ty::Error {
                    self.error(pos, format!("不能对 {} 取负", t.zh(&self.p)));
                }
                (Node::Neg(Box::new(n)), t)
            }
            ExprKind::Not(x) => {
                let (n, t) = self.expr(x, Some(&Ty::Bool));
                self.want(&t, &Ty::Bool, x.span.pos, "'非' 的操作数");
                (Node::Not(Box::new(n)), Ty::Bool)
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, pos),
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                let (vn, vt) = self.expr(value, None);
                if let Ty::Enum(en) = vt {
                    let size = self.p.enums.get(en).map_or(0, |e| e.variants.len());
                    let mut table = vec![false; size];
                    for m in set {
                        match &m.kind {
                            ExprKind::Name(name) => match self.variant(name, Some(&Ty::Enum(en))) {
                                Some((_, vi)) => {
                                    if let Some(slot) = table.get_mut(vi) {
                                        *slot = true;
                                    }
                                }
                                None => {
                                    let msg = format!(
                                        "'{name}' 不是枚举 {} 的值",
                                        self.p.enums.get(en).map_or("", |e| e.name.as_str())
                                    );
                                    self.error(m.span.pos, msg);
                                }
                            },
                            _ => self.error(m.span.pos, "集合的元素须为枚举值"),
                        }
                    }
                    (Node::InEnum(Box::new(vn), table, *negated), Ty::Bool)
                } else {
                    let mut vals = Vec::new();
                    for m in set {
                        if let Some((t, v)) = self.scalar_const(m, Some(&vt)) {
                            if vt != Ty::Error && !compatible(&vt, &t) {
                                let msg = format!(
                                    "集合元素类型 {} 与 {} 不符",
                                    t.zh(&self.p),
                                    vt.zh(&self.p)
                                );
                                self.error(m.span.pos, msg);
                            } else {
                                vals.push(v);
                            }
                        }
                    }
                    if matches!(vt, Ty::List(_) | Ty::Table(..)) {
                        self.error(value.span.pos, "'属于' 的左边须为单个值");
                    }
                    (Node::InSet(Box::new(vn), vals, *negated), Ty::Bool)
                }
            }
            ExprKind::If(c, a, b) => {
                let (cn, ct) = self.expr(c, Some(&Ty::Bool));
                self.want(&ct, &Ty::Bool, c.span.pos, "'如果' 的条件");
                let (an, at) = self.expr(a, expected);
                let (bn, bt) = self.expr(b, Some(&at).filter(|t| **t != Ty::Error).or(expected));
                let t = match unify(&at, &bt) {
                    Some(t) => t,
                    None => {
                        let msg = format!(
                            "'则' 与 '否则' 的类型不同:{} 与 {}",
                            at.zh(&self.p),
                            bt.zh(&self.p)
                        );
                        self.error(b.span.pos, msg);
                        Ty::Error
                    }
                };
                (Node::If(Box::new(cn), Box::new(an), Box::new(bn)), t)
            }
            ExprKind::Call(name, args) => self.call(name, args, pos, expected),
        }
    }

    fn want(&mut self, got: &Ty, want: &Ty, pos: Pos, what: &str) {
        if got != want && *got != Ty::Error {
            let msg = format!("{what}应为 {},实为 {}", want.zh(&self.p), got.zh(&self.p));
            self.error(pos, msg);
        }
    }

    fn name(&mut self, n: &str, pos: Pos, expected: Option<&Ty>) -> (Node, Ty) {
        if let Some(list) = self.list_ctx
            && let Some(input) = self.p.inputs.get(list)
            && let Some(fi) = input.fields.iter().position(|(f, _)| f == n)
        {
            let t = input.fields.get(fi).map_or(Ty::Error, |f| f.1.clone());
            return (Node::Field(list, fi), t);
        }
        match self.names.get(n).copied() {
            Some(Sym::Input(i)) => {
                if self.list_ctx.is_some() {
                    self.error(
                        pos,
                        format!("列表元素的条件中只能引用列表字段、参数与常量,不能引用输入 '{n}'"),
                    );
                }
                push_unique(&mut self.used_inputs, i);
                let t = self.p.inputs.get(i).map_or(Ty::Error, |x| x.ty.clone());
                (Node::Input(i), t)
            }
            Some(Sym::Param(i)) => {
                push_unique(&mut self.used_params, i);
                let t = self.p.params.get(i).map_or(Ty::Error, |x| x.ty.clone());
                (Node::Param(i), t)
            }
            Some(Sym::Def(i)) => {
                if self.list_ctx.is_some() {
                    self.error(pos, format!("列表元素的条件中不能引用定义 '{n}'"));
                }
                let Some(d) = self.p.defs.get(i) else {
                    return (Node::Const(0), Ty::Error);
                };
                let (t, ins, ps, exp) = (
                    d.formula.ty.clone(),
                    d.formula.inputs.clone(),
                    d.formula.params.clone(),
                    d.expanded,
                );
                for x in ins {
                    push_unique(&mut self.used_inputs, x);
                }
                for x in ps {
                    push_unique(&mut self.used_params, x);
                }
                push_unique(&mut self.used_defs, i);
                self.expanded = self.expanded.saturating_add(exp);
                (Node::Def(i), t)
            }
            None => {
                if matches!(n, "评估日期" | "今天" | "today") {
                    return (Node::EvalDate, Ty::Date);
                }
                if let Some((en, vi)) = self.variant(n, expected) {
                    return (Node::Const(vi as i64), Ty::Enum(en));
                }
                if self.variants.get(n).is_some_and(|c| c.len() > 1) {
                    self.error(pos, format!("'{n}' 是多个枚举的值,无法确定所指"));
                } else {
                    self.error(pos, format!("未知名称 '{n}' (unknown name)"));
                }
                (Node::Const(0), Ty::Error)
            }
        }
    }

    fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, pos: Pos) -> (Node, Ty) {
        match op {
            BinOp::And | BinOp::Or => {
                let (ln, lt) = self.expr(l, Some(&Ty::Bool));
                let (rn, rt) = self.expr(r, Some(&Ty::Bool));
                self.want(
                    &lt,
                    &Ty::Bool,
                    l.span.pos,
                    &format!("'{}' 的左边", op.symbol()),
                );
                self.want(
                    &rt,
                    &Ty::Bool,
                    r.span.pos,
                    &format!("'{}' 的右边", op.symbol()),
                );
                let n = if op == BinOp::And {
                    Node::And(Box::new(ln), Box::new(rn))
                } else {
                    Node::Or(Box::new(ln), Box::new(rn))
                };
                (n, Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                // Check the side that is not a bare name first, so enum values resolve.
                let (ln, lt, rn, rt) = if matches!(l.kind, ExprKind::Name(_))
                    && !matches!(r.kind, ExprKind::Name(_))
                {
                    let (rn, rt) = self.expr(r, None);
                    let (ln, lt) = self.expr(l, Some(&rt));
                    (ln, lt, rn, rt)
                } else {
                    let (ln, lt) = self.expr(l, None);
                    let (rn, rt) = self.expr(r, Some(&lt));
                    (ln, lt, rn, rt)
                };
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                if lt != Ty::Error && rt != Ty::Error {
                    let ok = match (&lt, &rt) {
                        (a, b) if a.dec() && b.dec() => true,
                        (Ty::Money, Ty::Money) | (Ty::Date, Ty::Date) => true,
                        (Ty::Bool, Ty::Bool) => matches!(cmp, CmpOp::Eq | CmpOp::Ne),
                        (Ty::Enum(a), Ty::Enum(b)) => {
                            a == b && matches!(cmp, CmpOp::Eq | CmpOp::Ne)
                        }
                        _ => false,
                    };
                    if !ok {
                        let hint = if (lt == Ty::Money && rt.dec()) || (rt == Ty::Money && lt.dec())
                        {
                            "(金额只能与金额比较:请写单位,例如 0元、100万元)"
                        } else {
                            ""
                        };
                        let msg = format!(
                            "不能用 '{}' 比较 {} 与 {}{hint}",
                            op.symbol(),
                            lt.zh(&self.p),
                            rt.zh(&self.p)
                        );
                        self.error(pos, msg);
                    }
                }
                (Node::Cmp(cmp, Box::new(ln), Box::new(rn)), Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let (ln, lt) = self.expr(l, None);
                let (rn, rt) = self.expr(r, None);
                if lt == Ty::Error || rt == Ty::Error {
                    return (Node::Const(0), Ty::Error);
                }
                let res: Option<(ArOp, Ty, bool)> = match (op, &lt, &rt) {
                    (BinOp::Add | BinOp::Sub, a, b) if a.dec() && b.dec() => {
                        let t = if *a == Ty::Ratio && *b == Ty::Ratio {
                            Ty::Ratio
                        } else {
                            Ty::Num
                        };
                        Some((
                            if op == BinOp::Add {
                                ArOp::Add
                            } else {
                                ArOp::Sub
                            },
                            t,
                            false,
                        ))
                    }
                    (BinOp::Add | BinOp::Sub, Ty::Money, Ty::Money) => Some((
                        if op == BinOp::Add {
                            ArOp::Add
                        } else {
                            ArOp::Sub
                        },
                        Ty::Money,
                        false,
                    )),
                    (BinOp::Mul, a, b) if a.dec() && b.dec() => {
                        let t = if *a == Ty::Ratio && *b == Ty::Ratio {
                            Ty::Ratio
                        } else {
                            Ty::Num
                        };
                        Some((ArOp::MulDec, t, false))
                    }
                    (BinOp::Mul, Ty::Money, b) if b.dec() => {
                        Some((ArOp::MulMoney, Ty::Money, false))
                    }
                    (BinOp::Mul, a, Ty::Money) if a.dec() => {
                        Some((ArOp::MulMoney, Ty::Money, true))
                    }
                    (BinOp::Div, a, b) if a.dec() && b.dec() => {
                        Some((ArOp::DivDec, Ty::Num, false))
                    }
                    (BinOp::Div, Ty::Money, Ty::Money) => Some((ArOp::DivDec, Ty::Ratio, false)),
                    (BinOp::Div, Ty::Money, b) if b.dec() => {
                        Some((ArOp::DivMoney, Ty::Money, false))
                    }
                    _ => None,
                };
                match res {
                    Some((aop, t, swap)) => {
                        let (a, b) = if swap { (rn, ln) } else { (ln, rn) };
                        (Node::Arith(aop, Box::new(a), Box::new(b)), t)
                    }
                    None => {
                        let hint = if lt == Ty::Date && rt == Ty::Date && op == BinOp::Sub {
                            "(日期之差请用 年数(起, 止)、月数(起, 止) 或 天数(起, 止))"
                        } else if lt == Ty::Money && rt == Ty::Money && op == BinOp::Mul {
                            "(金额 × 金额 没有意义)"
                        } else {
                            ""
                        };
                        let msg = format!(
                            "不能计算 {} {} {}{hint}",
                            lt.zh(&self.p),
                            op.symbol(),
                            rt.zh(&self.p)
                        );
                        self.error(pos, msg);
                        (Node::Const(0), Ty::Error)
                    }
                }
            }
        }
    }

    fn arity(&mut self, name: &str, args: &[Expr], lo: usize, hi: usize, pos: Pos) -> bool {
        if args.len() < lo || args.len() > hi {
            let want = if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            };
            self.error(
                pos,
                format!("函数 '{name}' 需要 {want} 个参数,实有 {} 个", args.len()),
            );
            false
        } else {
            true
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], pos: Pos, expected: Option<&Ty>) -> (Node, Ty) {
        let bad = (Node::Const(0), Ty::Error);
        match name {
            "最小" | "较小值" | "min" | "最大" | "较大值" | "max" => {
                if !self.arity(name, args, 1, 64, pos) {
                    return bad;
                }
                let mut nodes = Vec::new();
                let mut ty: Option<Ty> = None;
                for a in args {
                    let (n, t) = self.expr(a, expected);
                    if t != Ty::Error && !(t.numeric() || t == Ty::Date) {
                        let msg = format!(
                            "'{name}' 的参数须为数、比例、金额或日期,实为 {}",
                            t.zh(&self.p)
                        );
                        self.error(a.span.pos, msg);
                    }
                    ty = match ty {
                        None => Some(t),
                        Some(prev) => match unify(&prev, &t) {
                            Some(u) => Some(u),
                            None => {
                                let msg = format!(
                                    "'{name}' 的参数类型不一致:{} 与 {}",
                                    prev.zh(&self.p),
                                    t.zh(&self.p)
                                );
                                self.error(a.span.pos, msg);
                                Some(Ty::Error)
                            }
                        },
                    };
                    nodes.push(n);
                }
                let n = if matches!(name, "最小" | "较小值" | "min") {
                    Node::Min(nodes)
                } else {
                    Node::Max(nodes)
                };
                (n, ty.unwrap_or(Ty::Error))
            }
            "取整到元" | "round_yuan" | "取整到百元" | "round_hundred" | "取整到万元"
            | "round_wan" | "取整到分" => {
                if !self.arity(name, args, 1, 1, pos) {
                    return bad;
                }
                let (n, t) = self.expr(&args[0], Some(&Ty::Money));
                self.want(
                    &t,
                    &Ty::Money,
                    args[0].span.pos,
                    &format!("'{name}' 的参数"),
                );
                let unit = match name {
                    "取整到元" | "round_yuan" => 100,
                    "取整到百元" | "round_hundred" => 10_000,
                    "取整到万元" | "round_wan" => 1_000_000,
                    _ => 1,
                };
                (Node::RoundTo(Box::new(n), unit), Ty::Money)
            }
            "累进" | "marginal" | "分档" | "bracket" => {
                if !self.arity(name, args, 2, 2, pos) {
                    return bad;
                }
                let marginal = matches!(name, "累进" | "marginal");
                let (xn, xt) = self.expr(&args[0], None);
                let (table, kt, vt) = match &args[1].kind {
                    ExprKind::Name(n) => match self.names.get(n).copied() {
                        Some(Sym::Param(pi)) => {
                            push_unique(&mut self.used_params, pi);
                            match self.p.params.get(pi).map(|p| p.ty.clone()) {
                                Some(Ty::Table(k, v)) => (TableRef::Param(pi), *k, *v),
                                Some(t) => {
                                    let msg =
                                        format!("'{n}' 不是分段表参数(类型为 {})", t.zh(&self.p));
                                    self.error(args[1].span.pos, msg);
                                    return bad;
                                }
                                None => return bad,
                            }
                        }
                        _ => {
                            self.error(args[1].span.pos, format!("'{n}' 不是分段表参数"));
                            return bad;
                        }
                    },
                    ExprKind::Table(_) => match self.const_value(&args[1], None) {
                        Some((Ty::Table(k, v), PValue::Table(rows))) => {
                            (TableRef::Inline(rows), *k, *v)
                        }
                        _ => return bad,
                    },
                    _ => {
                        self.error(args[1].span.pos, format!("'{name}' 的第二个参数须为分段表"));
                        return bad;
                    }
                };
                if xt != Ty::Error && !(xt == kt || (xt.dec() && kt.dec())) {
                    let msg = format!(
                        "分段表的门槛为 {},被测值为 {}",
                        kt.zh(&self.p),
                        xt.zh(&self.p)
                    );
                    self.error(args[0].span.pos, msg);
                }
                if marginal {
                    if !vt.dec() {
                        self.error(args[1].span.pos, "累进表的取值须为比例(税率、补助比例)");
                        return bad;
                    }
                    let money = xt == Ty::Money;
                    (
                        Node::Brackets {
                            x: Box::new(xn),
                            table,
                            marginal,
                            money,
                        },
                        if money { Ty::Money } else { Ty::Num },
                    )
                } else {
                    (
                        Node::Brackets {
                            x: Box::new(xn),
                            table,
                            marginal,
                            money: vt == Ty::Money,
                        },
                        vt,
                    )
                }
            }
            "年数" | "years" | "月数" | "months" | "天数" | "days" => {
                if !self.arity(name, args, 2, 2, pos) {
                    return bad;
                }
                let (a, at) = self.expr(&args[0], Some(&Ty::Date));
                let (b, bt) = self.expr(&args[1], Some(&Ty::Date));
                self.want(
                    &at,
                    &Ty::Date,
                    args[0].span.pos,
                    &format!("'{name}' 的起始"),
                );
                self.want(
                    &bt,
                    &Ty::Date,
                    args[1].span.pos,
                    &format!("'{name}' 的终止"),
                );
                let (a, b) = (Box::new(a), Box::new(b));
                let n = match name {
                    "年数" | "years" => Node::Years(a, b),
                    "月数" | "months" => Node::Months(a, b),
                    _ => Node::Days(a, b),
                };
                (n, Ty::Num)
            }
            "已知" | "known" => {
                if !self.arity(name, args, 1, 1, pos) {
                    return bad;
                }
                let (n, _) = self.expr(&args[0], None);
                (Node::Known(Box::new(n)), Ty::Bool)
            }
            "默认" | "缺省" | "default" => {
                if !self.arity(name, args, 2, 2, pos) {
                    return bad;
                }
                let (a, at) = self.expr(&args[0], expected);
                let (b, bt) = self.expr(&args[1], Some(&at));
                match unify(&at, &bt) {
                    Some(t) => (Node::Default(Box::new(a), Box::new(b)), t),
                    None => {
                        let msg = format!(
                            "'{name}' 的默认值类型 {} 与 {} 不符",
                            bt.zh(&self.p),
                            at.zh(&self.p)
                        );
                        self.error(args[1].span.pos, msg);
                        bad
                    }
                }
            }
            "百分比" | "占比" | "percent" => {
                if !self.arity(name, args, 2, 2, pos) {
                    return bad;
                }
                let (a, at) = self.expr(&args[0], None);
                let (b, bt) = self.expr(&args[1], None);
                let ok = (at.dec() && bt.dec()) || (at == Ty::Money && bt == Ty::Money);
                if !ok && at != Ty::Error && bt != Ty::Error {
                    let msg = format!(
                        "'{name}' 须为同类量之比,实为 {} 与 {}",
                        at.zh(&self.p),
                        bt.zh(&self.p)
                    );
                    self.error(pos, msg);
                }
                (
                    Node::Arith(ArOp::DivDec, Box::new(a), Box::new(b)),
                    Ty::Ratio,
                )
            }
            "计数" | "count" | "求和" | "sum" => {
                let is_count = matches!(name, "计数" | "count");
                let (lo, hi) = if is_count { (1, 2) } else { (2, 3) };
                if !self.arity(name, args, lo, hi, pos) {
                    return bad;
                }
                let list = match &args[0].kind {
                    ExprKind::Name(n) => match self.names.get(n).copied() {
                        Some(Sym::Input(i))
                            if matches!(self.p.inputs.get(i).map(|x| &x.ty), Some(Ty::List(_))) =>
                        {
                            i
                        }
                        _ => {
                            self.error(args[0].span.pos, format!("'{n}' 不是列表输入"));
                            return bad;
                        }
                    },
                    _ => {
                        self.error(
                            args[0].span.pos,
                            format!("'{name}' 的第一个参数须为列表输入的名称"),
                        );
                        return bad;
                    }
                };
                if self.list_ctx.is_some() {
                    self.error(pos, "列表不能嵌套计数或求和");
                    return bad;
                }
                push_unique(&mut self.used_inputs, list);
                self.list_ctx = Some(list);
                let mut value = None;
                let mut vt = Ty::Num;
                if !is_count {
                    let (v, t) = self.expr(&args[1], None);
                    if !t.numeric() && t != Ty::Error {
                        let msg = format!("求和的对象须为数或金额,实为 {}", t.zh(&self.p));
                        self.error(args[1].span.pos, msg);
                    }
                    vt = t;
                    value = Some(v);
                }
                let fi = if is_count { 1 } else { 2 };
                let filter = args.get(fi).map(|f| {
                    let (n, t) = self.expr(f, Some(&Ty::Bool));
                    self.want(&t, &Ty::Bool, f.span.pos, "筛选条件");
                    Box::new(n)
                });
                self.list_ctx = None;
                match value {
                    None => (Node::Count { list, filter }, Ty::Num),
                    Some(v) => (
                        Node::Sum {
                            list,
                            value: Box::new(v),
                            filter,
                        },
                        vt,
                    ),
                }
            }
            _ => {
                self.error(
                    pos,
                    format!(
                        "未知函数 '{name}'(可用:最小、最大、取整到元、取整到万元、累进、分档、年数、月数、天数、计数、求和、已知、默认、百分比)"
                    ),
                );
                bad
            }
        }
    }
}

fn compatible(expected: &Ty, got: &Ty) -> bool {
    match (expected, got) {
        (a, b) if a == b => true,
        (Ty::Ratio, Ty::Num) | (Ty::Num, Ty::Ratio) => true,
        (Ty::Table(k1, v1), Ty::Table(k2, v2)) => {
            (**k1 == Ty::Error || compatible(k1, k2)) && (**v1 == Ty::Error || compatible(v1, v2))
        }
        (Ty::Error, _) | (_, Ty::Error) => true,
        _ => false,
    }
}

fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Error, t) | (t, Ty::Error) => Some(t.clone()),
        (x, y) if x == y => Some(x.clone()),
        (x, y) if x.dec() && y.dec() => Some(Ty::Num),
        _ => None,
    }
}

/// The scale of a decimal constant (for messages): `DEC_SCALE`.
pub const fn dec_scale() -> i64 {
    DEC_SCALE
}
