//! The syntax tree of a policy file, as written (before names and types are checked).

use crate::error::Pos;
use crate::lexer::NumLit;
use crate::value::Rounding;

/// A source range: position of the first character and byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Line and column of the first character.
    pub pos: Pos,
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `=` / `==`
    Eq,
    /// `!=` / `≠`
    Ne,
    /// `<`
    Lt,
    /// `<=` / `≤`
    Le,
    /// `>`
    Gt,
    /// `>=` / `≥`
    Ge,
    /// `且` / `and` / `&&`
    And,
    /// `或` / `or` / `||`
    Or,
}

impl BinOp {
    /// The operator as written in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "且",
            BinOp::Or => "或",
        }
    }
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number, percentage or money literal.
    Num(NumLit),
    /// A date literal (day number).
    Date(i32),
    /// `是`/`否`, `true`/`false`.
    Bool(bool),
    /// A name: input, parameter, definition, enumeration value, list field.
    Name(String),
    /// `-x`
    Neg(Box<Expr>),
    /// `非 x` / `not x` / `!x`
    Not(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x 属于 {a, b}` / `x in {a, b}`, negated for `不属于` / `not in`.
    In {
        /// The value tested.
        value: Box<Expr>,
        /// The members.
        set: Vec<Expr>,
        /// `not in`.
        negated: bool,
    },
    /// `f(a, b)`
    Call(String, Vec<Expr>),
    /// `如果 c 则 a 否则 b`
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A table for brackets: `{ 0 => 5%, 500万元 => 8% }` (thresholds ascending).
    Table(Vec<(Expr, Expr)>),
}

/// A type as written.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `金额`, `数`, `比例`, `日期`, `布尔`, or an enumeration's name.
    Named(String, Span),
    /// `列表 { 字段: 类型, … }`
    List(Vec<(String, TypeExpr, Span)>),
}

/// `枚举 名称 { 值, … }`
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    /// Its name.
    pub name: String,
    /// Its values.
    pub variants: Vec<(String, Span)>,
    /// Where it is declared.
    pub span: Span,
}

/// `输入 名称: 类型`
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: TypeExpr,
    /// An optional description.
    pub label: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

/// `参数 名称 { 日期: 值, … }`: a value by effective date.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Its name.
    pub name: String,
    /// An optional declared type.
    pub ty: Option<TypeExpr>,
    /// `(effective from, value)` in the order written.
    pub values: Vec<(i32, Expr)>,
    /// Where it is declared.
    pub span: Span,
}

/// `定义 名称 = 表达式`
#[derive(Debug, Clone, PartialEq)]
pub struct DefDecl {
    /// Its name.
    pub name: String,
    /// Its formula.
    pub expr: Expr,
    /// Where it is declared.
    pub span: Span,
}

/// `条件 名称: 表达式`
#[derive(Debug, Clone, PartialEq)]
pub struct CondDecl {
    /// Its name.
    pub name: String,
    /// A boolean expression.
    pub expr: Expr,
    /// Where it is declared.
    pub span: Span,
}

/// `例外 标签 优先级 N 当 条件 { 金额 … / 不予支持 / 予以支持 }`
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionDecl {
    /// Its label.
    pub label: String,
    /// Higher wins; equal and both applicable is a conflict.
    pub priority: i64,
    /// When it applies.
    pub when: Expr,
    /// A replacement amount formula.
    pub amount: Option<Expr>,
    /// Overrides eligibility: `Some(false)` for 不予支持, `Some(true)` for 予以支持.
    pub eligible: Option<bool>,
    /// Where it is declared.
    pub span: Span,
}

/// `条款 名称 "标题" { … }`
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseDecl {
    /// Its name (identifier).
    pub name: String,
    /// Its title.
    pub title: Option<String>,
    /// The legal source (document, article).
    pub source: Option<String>,
    /// Effective from (inclusive).
    pub from: Option<i32>,
    /// Effective until (inclusive).
    pub until: Option<i32>,
    /// Granted without application (免申即享).
    pub automatic: bool,
    /// Named conditions, all of which must hold.
    pub conditions: Vec<CondDecl>,
    /// The amount formula.
    pub amount: Option<Expr>,
    /// Caps: the amount is at most each of these.
    pub caps: Vec<Expr>,
    /// Materials required.
    pub materials: Vec<String>,
    /// Exceptions.
    pub exceptions: Vec<ExceptionDecl>,
    /// Where it is declared.
    pub span: Span,
}

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyFile {
    /// `政策 "标题"`
    pub title: Option<String>,
    /// `文号 "…"` / `来源 "…"`
    pub source: Option<String>,
    /// `舍入 四舍五入`
    pub rounding: Rounding,
    /// Enumerations.
    pub enums: Vec<EnumDecl>,
    /// Inputs.
    pub inputs: Vec<InputDecl>,
    /// Parameters.
    pub params: Vec<ParamDecl>,
    /// Definitions.
    pub defs: Vec<DefDecl>,
    /// Clauses.
    pub clauses: Vec<ClauseDecl>,
}
