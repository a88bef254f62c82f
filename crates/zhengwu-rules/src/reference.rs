//! The reference evaluator (tests only): the engine as it was before the executor in
//! [`crate::exec`] — one pass over a chunk per expression node, amounts computed for every
//! record. It is kept, deliberately plain, as the oracle the executor is checked against.

use crate::compile::{ArOp, ClauseInfo, CmpOp, Node, PValue, Program, TableRef};
use crate::data::{Column, Dataset, InputData};
use crate::eval::{
    CHUNK, ClauseColumns, MAYBE_EXCEPTION, NO_EXCEPTION, bind, floor_ratio, months_between,
};
use crate::value::{DEC_SCALE, Rounding};

/// A runtime column value: a broadcast scalar (`None` = unknown for all), a borrowed input
/// column, or a computed one.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    S(Option<i64>),
    B(&'a [i64], Option<&'a [bool]>),
    C(Vec<i64>, Option<Vec<bool>>),
}

enum Parts<'v> {
    S(Option<i64>),
    V(&'v [i64], Option<&'v [bool]>),
}

impl Val<'_> {
    fn parts(&self) -> Parts<'_> {
        match self {
            Val::S(x) => Parts::S(*x),
            Val::B(v, m) => Parts::V(v, *m),
            Val::C(v, m) => Parts::V(v, m.as_deref()),
        }
    }
    /// Value at `i` (None when unknown).
    pub(crate) fn at(&self, i: usize) -> Option<i64> {
        match self.parts() {
            Parts::S(x) => x,
            Parts::V(v, m) => {
                if m.is_some_and(|m| !m.get(i).copied().unwrap_or(false)) {
                    None
                } else {
                    v.get(i).copied()
                }
            }
        }
    }
}

/// Values as a dense slice (scalars broadcast) with a mask (`None` = all known).
fn dense<'v>(
    p: &Parts<'v>,
    n: usize,
) -> (
    std::borrow::Cow<'v, [i64]>,
    Option<std::borrow::Cow<'v, [bool]>>,
) {
    use std::borrow::Cow;
    match p {
        Parts::S(Some(x)) => (Cow::Owned(vec![*x; n]), None),
        Parts::S(None) => (Cow::Owned(vec![0; n]), Some(Cow::Owned(vec![false; n]))),
        Parts::V(v, m) => (Cow::Borrowed(*v), m.map(Cow::Borrowed)),
    }
}

/// Three-valued booleans: 0 false, 1 true, 2 unknown.
fn tri(v: &Val<'_>, n: usize) -> Vec<u8> {
    match v.parts() {
        Parts::S(None) => vec![2; n],
        Parts::S(Some(x)) => vec![u8::from(x != 0); n],
        Parts::V(v, None) => v.iter().map(|&x| u8::from(x != 0)).collect(),
        Parts::V(v, Some(m)) => v
            .iter()
            .zip(m)
            .map(|(&x, &k)| if k { u8::from(x != 0) } else { 2 })
            .collect(),
    }
}

fn and_masks(a: Option<&[bool]>, b: Option<&[bool]>) -> Option<Vec<bool>> {
    match (a, b) {
        (None, None) => None,
        (Some(m), None) | (None, Some(m)) => Some(m.to_vec()),
        (Some(x), Some(y)) => Some(x.iter().zip(y).map(|(a, b)| *a && *b).collect()),
    }
}

/// Element-wise with a fallible function; failures (overflow, division by zero) are unknown.
fn map2<F: Fn(i64, i64) -> Option<i64>>(a: &Val<'_>, b: &Val<'_>, n: usize, f: F) -> Val<'static> {
    let (av, am, bv, bm) = match (a.parts(), b.parts()) {
        (Parts::S(None), _) | (_, Parts::S(None)) => return Val::S(None),
        (Parts::S(Some(x)), Parts::S(Some(y))) => return Val::S(f(x, y)),
        (Parts::V(v, m), Parts::S(Some(y))) => {
            let mut mask = m.map(<[bool]>::to_vec);
            let mut out = Vec::with_capacity(v.len());
            for (i, &x) in v.iter().enumerate() {
                match f(x, y) {
                    Some(r) => out.push(r),
                    None => {
                        out.push(0);
                        set_unknown(&mut mask, i, v.len());
                    }
                }
            }
            return Val::C(out, mask);
        }
        (Parts::S(Some(x)), Parts::V(v, m)) => {
            let mut mask = m.map(<[bool]>::to_vec);
            let mut out = Vec::with_capacity(v.len());
            for (i, &y) in v.iter().enumerate() {
                match f(x, y) {
                    Some(r) => out.push(r),
                    None => {
                        out.push(0);
                        set_unknown(&mut mask, i, v.len());
                    }
                }
            }
            return Val::C(out, mask);
        }
        (Parts::V(av, am), Parts::V(bv, bm)) => (av, am, bv, bm),
    };
    let len = n.min(av.len()).min(bv.len());
    let mut mask = and_masks(am, bm);
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        match f(av[i], bv[i]) {
            Some(r) => out.push(r),
            None => {
                out.push(0);
                set_unknown(&mut mask, i, len);
            }
        }
    }
    Val::C(out, mask)
}

#[inline]
fn set_unknown(mask: &mut Option<Vec<bool>>, i: usize, n: usize) {
    let m = mask.get_or_insert_with(|| vec![true; n]);
    if let Some(x) = m.get_mut(i) {
        *x = false;
    }
}

/// Element-wise with an infallible function (vectorises).
fn map2_total<F: Fn(i64, i64) -> i64>(a: &Val<'_>, b: &Val<'_>, f: F) -> Val<'static> {
    match (a.parts(), b.parts()) {
        (Parts::S(None), _) | (_, Parts::S(None)) => Val::S(None),
        (Parts::S(Some(x)), Parts::S(Some(y))) => Val::S(Some(f(x, y))),
        (Parts::V(v, m), Parts::S(Some(y))) => Val::C(
            v.iter().map(|&x| f(x, y)).collect(),
            m.map(<[bool]>::to_vec),
        ),
        (Parts::S(Some(x)), Parts::V(v, m)) => Val::C(
            v.iter().map(|&y| f(x, y)).collect(),
            m.map(<[bool]>::to_vec),
        ),
        (Parts::V(av, am), Parts::V(bv, bm)) => Val::C(
            av.iter().zip(bv).map(|(&x, &y)| f(x, y)).collect(),
            and_masks(am, bm),
        ),
    }
}

fn map1<F: Fn(i64) -> Option<i64>>(a: &Val<'_>, f: F) -> Val<'static> {
    match a.parts() {
        Parts::S(x) => Val::S(x.and_then(f)),
        Parts::V(v, m) => {
            let mut mask = m.map(<[bool]>::to_vec);
            let mut out = Vec::with_capacity(v.len());
            for (i, &x) in v.iter().enumerate() {
                match f(x) {
                    Some(r) => out.push(r),
                    None => {
                        out.push(0);
                        set_unknown(&mut mask, i, v.len());
                    }
                }
            }
            Val::C(out, mask)
        }
    }
}

/// Whole months (per = 1) or years (per = 12) between two date columns, as decimals; with a
/// constant end date (the evaluation date, usually) its calendar date is computed once.
/// Whole months (per = 1) or years (per = 12) between two date columns, as decimals.
fn months_column(a: &Val<'_>, b: &Val<'_>, n: usize, per: i64) -> Val<'static> {
    map2(a, b, n, |x, y| {
        months_between(x, y)
            .map(|m| m / per)
            .and_then(|v| v.checked_mul(DEC_SCALE))
    })
}

pub(crate) struct Ctx<'a> {
    pub prog: &'a Program,
    pub data: &'a Dataset,
    pub start: usize,
    pub len: usize,
    pub date: i32,
    pub params: &'a [Option<(i32, &'a PValue)>],
    /// In a list element context: (list input, first element, number of elements).
    pub elem: Option<(usize, usize, usize)>,
    /// Definitions already evaluated for this chunk.
    pub defs: std::cell::RefCell<Vec<Option<Val<'a>>>>,
}

impl<'a> Ctx<'a> {
    fn n(&self) -> usize {
        self.elem.map_or(self.len, |e| e.2)
    }

    fn slice(col: &'a Column, start: usize, len: usize) -> Val<'a> {
        let end = (start + len).min(col.values.len());
        let v = col.values.get(start..end).unwrap_or(&[]);
        let m = col.known.as_ref().and_then(|k| k.get(start..end));
        Val::B(v, m)
    }

    pub(crate) fn eval(&self, node: &Node) -> Val<'a> {
        let n = self.n();
        let rounding = self.prog.rounding;
        match node {
            Node::Const(v) => Val::S(Some(*v)),
            Node::EvalDate => Val::S(Some(i64::from(self.date))),
            Node::Input(i) => match self.data.inputs.get(*i) {
                Some(Some(InputData::Scalar(col))) => Self::slice(col, self.start, self.len),
                _ => Val::S(None),
            },
            Node::Field(list, f) => match (self.elem, self.data.inputs.get(*list)) {
                (Some((_, s, l)), Some(Some(InputData::List(lc)))) => match lc.fields.get(*f) {
                    Some(col) => Self::slice(col, s, l),
                    None => Val::S(None),
                },
                _ => Val::S(None),
            },
            Node::Param(p) => match self.params.get(*p) {
                Some(Some((_, PValue::Scalar(v)))) => Val::S(Some(*v)),
                _ => Val::S(None),
            },
            Node::Def(d) => {
                if let Some(Some(v)) = self.defs.borrow().get(*d) {
                    return v.clone();
                }
                let v = match self.prog.defs.get(*d) {
                    Some(def) => self.eval(&def.formula.node),
                    None => Val::S(None),
                };
                if let Some(slot) = self.defs.borrow_mut().get_mut(*d) {
                    *slot = Some(v.clone());
                }
                v
            }
            Node::Neg(x) => map1(&self.eval(x), i64::checked_neg),
            Node::Not(x) => match self.eval(x) {
                Val::S(v) => Val::S(v.map(|b| 1 - b)),
                Val::B(v, m) => Val::C(v.iter().map(|b| 1 - b).collect(), m.map(<[bool]>::to_vec)),
                Val::C(mut v, m) => {
                    v.iter_mut().for_each(|b| *b = 1 - *b);
                    Val::C(v, m)
                }
            },
            Node::Arith(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match op {
                    ArOp::Add => map2(&a, &b, n, i64::checked_add),
                    ArOp::Sub => map2(&a, &b, n, i64::checked_sub),
                    ArOp::MulDec => {
                        map2(&a, &b, n, |x, y| Rounding::HalfUp.mul_div(x, y, DEC_SCALE))
                    }
                    ArOp::MulMoney => map2(&a, &b, n, |x, y| rounding.mul_div(x, y, DEC_SCALE)),
                    ArOp::DivDec => map2(&a, &b, n, floor_ratio),
                    ArOp::DivMoney => map2(&a, &b, n, |x, y| rounding.mul_div(x, DEC_SCALE, y)),
                }
            }
            Node::Cmp(op, a, b) => {
                let (a, b) = (self.eval(a), self.eval(b));
                match op {
                    CmpOp::Eq => map2_total(&a, &b, |x, y| i64::from(x == y)),
                    CmpOp::Ne => map2_total(&a, &b, |x, y| i64::from(x != y)),
                    CmpOp::Lt => map2_total(&a, &b, |x, y| i64::from(x < y)),
                    CmpOp::Le => map2_total(&a, &b, |x, y| i64::from(x <= y)),
                    CmpOp::Gt => map2_total(&a, &b, |x, y| i64::from(x > y)),
                    CmpOp::Ge => map2_total(&a, &b, |x, y| i64::from(x >= y)),
                }
            }
            Node::And(a, b) => self.kleene(a, b, true),
            Node::Or(a, b) => self.kleene(a, b, false),
            Node::InEnum(x, table, neg) => {
                let neg = i64::from(*neg);
                let look = |v: i64| -> i64 {
                    let hit = usize::try_from(v)
                        .ok()
                        .and_then(|i| table.get(i))
                        .copied()
                        .unwrap_or(false);
                    i64::from(hit) ^ neg
                };
                match self.eval(x) {
                    Val::S(v) => Val::S(v.map(look)),
                    Val::B(v, m) => Val::C(
                        v.iter().map(|&v| look(v)).collect(),
                        m.map(<[bool]>::to_vec),
                    ),
                    Val::C(v, m) => Val::C(v.iter().map(|&v| look(v)).collect(), m),
                }
            }
            Node::InSet(x, set, neg) => {
                let neg = i64::from(*neg);
                let look = |v: i64| i64::from(set.contains(&v)) ^ neg;
                match self.eval(x) {
                    Val::S(v) => Val::S(v.map(look)),
                    Val::B(v, m) => Val::C(
                        v.iter().map(|&v| look(v)).collect(),
                        m.map(<[bool]>::to_vec),
                    ),
                    Val::C(v, m) => Val::C(v.iter().map(|&v| look(v)).collect(), m),
                }
            }
            Node::If(c, a, b) => {
                let c = self.eval(c);
                match c {
                    Val::S(None) => Val::S(None),
                    Val::S(Some(x)) => {
                        if x != 0 {
                            self.eval(a)
                        } else {
                            self.eval(b)
                        }
                    }
                    c => {
                        let (a, b) = (self.eval(a), self.eval(b));
                        let (cp, ap, bp) = (c.parts(), a.parts(), b.parts());
                        let (cv, cm) = dense(&cp, n);
                        let (av, am) = dense(&ap, n);
                        let (bv, bm) = dense(&bp, n);
                        let out: Vec<i64> = cv
                            .iter()
                            .zip(av.iter())
                            .zip(bv.iter())
                            .map(|((&c, &a), &b)| if c != 0 { a } else { b })
                            .collect();
                        if cm.is_none() && am.is_none() && bm.is_none() {
                            return Val::C(out, None);
                        }
                        let mask: Vec<bool> = (0..out.len())
                            .map(|i| {
                                let ck = cm.as_ref().is_none_or(|m| m[i]);
                                let branch = if cv[i] != 0 { &am } else { &bm };
                                ck && branch.as_ref().is_none_or(|m| m[i])
                            })
                            .collect();
                        Val::C(out, Some(mask))
                    }
                }
            }
            Node::Min(xs) | Node::Max(xs) => {
                let is_min = matches!(node, Node::Min(_));
                let mut acc: Option<Val<'a>> = None;
                for x in xs {
                    let v = self.eval(x);
                    acc = Some(match acc {
                        None => v,
                        Some(prev) => {
                            if is_min {
                                map2_total(&prev, &v, i64::min)
                            } else {
                                map2_total(&prev, &v, i64::max)
                            }
                        }
                    });
                }
                acc.unwrap_or(Val::S(None))
            }
            Node::RoundTo(x, unit) => {
                let unit = *unit;
                map1(&self.eval(x), |v| {
                    rounding.div(v, unit).and_then(|q| q.checked_mul(unit))
                })
            }
            Node::Brackets {
                x,
                table,
                marginal,
                money,
            } => {
                let rows: &[(i64, i64)] = match table {
                    TableRef::Inline(rows) => rows,
                    TableRef::Param(p) => match self.params.get(*p) {
                        Some(Some((_, PValue::Table(rows)))) => rows,
                        _ => return Val::S(None),
                    },
                };
                let x = self.eval(x);
                if *marginal {
                    let r = if *money { rounding } else { Rounding::HalfUp };
                    map1(&x, |v| marginal_amount(rows, v, r))
                } else {
                    map1(&x, |v| Some(flat_value(rows, v)))
                }
            }
            Node::Years(a, b) => months_column(&self.eval(a), &self.eval(b), n, 12),
            Node::Months(a, b) => months_column(&self.eval(a), &self.eval(b), n, 1),
            Node::Days(a, b) => map2(&self.eval(a), &self.eval(b), n, |x, y| {
                y.checked_sub(x).and_then(|v| v.checked_mul(DEC_SCALE))
            }),
            Node::Known(x) => match self.eval(x) {
                Val::S(v) => Val::S(Some(i64::from(v.is_some()))),
                Val::B(_, None) | Val::C(_, None) => Val::S(Some(1)),
                Val::B(_, Some(m)) => Val::C(m.iter().map(|&k| i64::from(k)).collect(), None),
                Val::C(_, Some(m)) => Val::C(m.iter().map(|&k| i64::from(k)).collect(), None),
            },
            Node::Default(x, d) => {
                let x = self.eval(x);
                match x {
                    Val::S(Some(v)) => Val::S(Some(v)),
                    Val::S(None) => self.eval(d),
                    Val::B(_, None) | Val::C(_, None) => x,
                    x => {
                        let d = self.eval(d);
                        let (xp, dp) = (x.parts(), d.parts());
                        let (xv, xm) = dense(&xp, n);
                        let (dv, dm) = dense(&dp, n);
                        let mut out = Vec::with_capacity(xv.len());
                        let mut mask = Vec::with_capacity(xv.len());
                        for i in 0..xv.len() {
                            if xm.as_ref().is_none_or(|m| m[i]) {
                                out.push(xv[i]);
                                mask.push(true);
                            } else {
                                out.push(dv[i]);
                                mask.push(dm.as_ref().is_none_or(|m| m[i]));
                            }
                        }
                        Val::C(out, Some(mask))
                    }
                }
            }
            Node::Count { list, filter } => self.aggregate(*list, None, filter.as_deref()),
            Node::Sum {
                list,
                value,
                filter,
            } => self.aggregate(*list, Some(value), filter.as_deref()),
        }
    }

    fn kleene(&self, a: &Node, b: &Node, is_and: bool) -> Val<'a> {
        let a = self.eval(a);
        // Short-circuit a constant that decides everything.
        let dominant = if is_and { 0 } else { 1 };
        if let Val::S(Some(x)) = a {
            if (x != 0) as i64 == dominant {
                return Val::S(Some(dominant));
            }
            return self.eval(b);
        }
        let b = self.eval(b);
        if let Val::S(Some(y)) = b {
            if (y != 0) as i64 == dominant {
                return Val::S(Some(dominant));
            }
            return a;
        }
        match (a.parts(), b.parts()) {
            (Parts::V(av, None), Parts::V(bv, None)) => {
                let v = if is_and {
                    av.iter().zip(bv).map(|(x, y)| x & y).collect()
                } else {
                    av.iter().zip(bv).map(|(x, y)| x | y).collect()
                };
                Val::C(v, None)
            }
            _ => {
                let n = self.n();
                let (ta, tb) = (tri(&a, n), tri(&b, n));
                let mut out = Vec::with_capacity(n);
                let mut mask = Vec::with_capacity(n);
                for (&x, &y) in ta.iter().zip(&tb) {
                    // Kleene: and = min, or = max over false(0) < unknown < true(1).
                    let rank = |t: u8| match t {
                        0 => 0u8,
                        2 => 1,
                        _ => 2,
                    };
                    let r = if is_and {
                        rank(x).min(rank(y))
                    } else {
                        rank(x).max(rank(y))
                    };
                    out.push(i64::from(r == 2));
                    mask.push(r != 1);
                }
                Val::C(out, Some(mask))
            }
        }
    }

    fn aggregate(&self, list: usize, value: Option<&Node>, filter: Option<&Node>) -> Val<'a> {
        let Some(Some(InputData::List(lc))) = self.data.inputs.get(list) else {
            return Val::S(None);
        };
        let n = self.len;
        let offs = lc.offsets.get(self.start..=self.start + n).unwrap_or(&[]);
        if offs.len() != n + 1 {
            return Val::S(None);
        }
        let e0 = offs[0] as usize;
        let elen = offs[n] as usize - e0;
        let ectx = Ctx {
            prog: self.prog,
            data: self.data,
            start: self.start,
            len: self.len,
            date: self.date,
            params: self.params,
            elem: Some((list, e0, elen)),
            defs: std::cell::RefCell::new(Vec::new()),
        };
        // Filter as three-valued flags (None: take every element); values dense with a mask.
        let f: Option<Vec<u8>> = filter.map(|f| tri(&ectx.eval(f), elen));
        let v = value.map(|v| ectx.eval(v));
        let vparts = v.as_ref().map(Val::parts);
        let (vv, vm) = match &vparts {
            Some(p) => {
                let (a, b) = dense(p, elen);
                (Some(a), b)
            }
            None => (None, None),
        };
        let list_known = lc
            .known
            .as_ref()
            .and_then(|k| k.get(self.start..self.start + n));
        let mut out = Vec::with_capacity(n);
        let mut mask: Option<Vec<bool>> = None;
        for r in 0..n {
            let (a, b) = (offs[r] as usize - e0, offs[r + 1] as usize - e0);
            let mut ok = list_known.is_none_or(|k| k[r]);
            let mut total: i64 = 0;
            if ok {
                match (&f, &vv, &vm) {
                    (None, None, _) => total = (b - a) as i64 * DEC_SCALE,
                    (Some(f), None, _) => {
                        let (mut hits, mut unk) = (0i64, false);
                        for &t in &f[a..b] {
                            hits += i64::from(t == 1);
                            unk |= t == 2;
                        }
                        ok = !unk;
                        total = hits * DEC_SCALE;
                    }
                    // No unknown values: branch-free (filters on random data mispredict).
                    (f, Some(vals), None) => {
                        let mut wide: i128 = 0;
                        match f {
                            Some(f) => {
                                let mut unk = false;
                                for (&t, &x) in f[a..b].iter().zip(&vals[a..b]) {
                                    wide += i128::from(x) * i128::from(t == 1);
                                    unk |= t == 2;
                                }
                                ok = !unk;
                            }
                            None => wide = vals[a..b].iter().map(|&x| i128::from(x)).sum(),
                        }
                        match i64::try_from(wide) {
                            Ok(t) => total = t,
                            Err(_) => ok = false,
                        }
                    }
                    (f, Some(vals), m) => {
                        // The exact sum; unknown when it does not fit (as without a mask).
                        let mut wide: i128 = 0;
                        for j in a..b {
                            let take = f.as_ref().map_or(1, |f| f[j]);
                            if take == 0 {
                                continue;
                            }
                            if take == 2 || m.as_ref().is_some_and(|m| !m[j]) {
                                ok = false;
                                break;
                            }
                            wide += i128::from(vals[j]);
                        }
                        match i64::try_from(wide) {
                            Ok(t) => total = t,
                            Err(_) => ok = false,
                        }
                    }
                }
            }
            out.push(if ok { total } else { 0 });
            if !ok {
                set_unknown(&mut mask, r, n);
            }
        }
        Val::C(out, mask)
    }
}
/// The value of the highest threshold reached (分档), 0 below the first.
#[inline]
fn flat_value(rows: &[(i64, i64)], x: i64) -> i64 {
    rows.iter()
        .rev()
        .find(|(t, _)| *t <= x)
        .map_or(0, |(_, v)| *v)
}

/// Marginal brackets (累进): Σ slice × rate, exactly, then one rounding.
fn marginal_amount(rows: &[(i64, i64)], x: i64, r: Rounding) -> Option<i64> {
    let mut total: i128 = 0;
    for (k, (t, rate)) in rows.iter().enumerate() {
        if x <= *t {
            break;
        }
        let upper = rows.get(k + 1).map_or(x, |(next, _)| x.min(*next));
        let slice = i128::from(upper) - i128::from(*t);
        total = total.checked_add(slice.checked_mul(i128::from(*rate))?)?;
    }
    r.div_wide(total, i128::from(DEC_SCALE))
}

/// The per-record results of the reference evaluator, before the conditions are packed into
/// the bitmaps of [`ClauseColumns`].
#[derive(Default)]
struct Flat {
    eligibility: Vec<u8>,
    amount: Vec<i64>,
    amount_known: Vec<bool>,
    /// Per condition, per record.
    failed: Vec<Vec<bool>>,
    unknown: Vec<Vec<bool>>,
    exception: Vec<u8>,
}

fn pack(rows: &[bool]) -> Vec<u64> {
    let mut words = vec![0u64; rows.len().div_ceil(64)];
    for (i, &b) in rows.iter().enumerate() {
        if b {
            words[i / 64] |= 1 << (i % 64);
        }
    }
    words
}

/// Evaluates one clause over records `first .. first + count` of `data`, the plain way.
pub(crate) fn evaluate_clause_reference(
    prog: &Program,
    clause: usize,
    data: &Dataset,
    date: i32,
    first: usize,
    count: usize,
) -> ClauseColumns {
    let params = bind(prog, date);
    let end = first.saturating_add(count).min(data.len);
    let Some(c) = prog.clauses.get(clause) else {
        return ClauseColumns::default();
    };
    let in_force = c.in_force(date);
    let mut flat = Flat {
        failed: vec![Vec::new(); c.conditions.len()],
        unknown: vec![Vec::new(); c.conditions.len()],
        ..Flat::default()
    };
    let mut start = first;
    while start < end {
        let len = CHUNK.min(end - start);
        let ctx = Ctx {
            prog,
            data,
            start,
            len,
            date,
            params: &params,
            elem: None,
            defs: std::cell::RefCell::new(vec![None; prog.defs.len()]),
        };
        eval_clause_chunk(&ctx, c, in_force, &mut flat);
        start += len;
    }
    ClauseColumns {
        eligibility: flat.eligibility,
        amount: flat.amount,
        amount_known: flat.amount_known,
        failed: flat.failed.iter().map(|f| pack(f)).collect(),
        unknown: flat.unknown.iter().map(|u| pack(u)).collect(),
        exception: flat.exception,
        in_force,
    }
}

fn eval_clause_chunk(ctx: &Ctx<'_>, c: &ClauseInfo, in_force: bool, out: &mut Flat) {
    let n = ctx.len;
    let base = out.eligibility.len();
    out.eligibility.resize(base + n, 0);
    out.amount.resize(base + n, 0);
    out.amount_known.resize(base + n, true);
    for (f, u) in out.failed.iter_mut().zip(out.unknown.iter_mut()) {
        f.resize(base + n, false);
        u.resize(base + n, false);
    }
    out.exception.resize(base + n, NO_EXCEPTION);
    if !in_force {
        return;
    }
    let Flat {
        eligibility,
        amount,
        amount_known,
        failed: failed_by_cond,
        unknown: unknown_by_cond,
        exception,
    } = out;
    let (elig, amount, amount_known, exc) = (
        &mut eligibility[base..],
        &mut amount[base..],
        &mut amount_known[base..],
        &mut exception[base..],
    );
    let mut failed = vec![false; n];
    let mut unknown = vec![false; n];
    for (ci, cond) in c.conditions.iter().enumerate() {
        let (fc, uc) = (
            &mut failed_by_cond[ci][base..],
            &mut unknown_by_cond[ci][base..],
        );
        match ctx.eval(&cond.formula.node).parts() {
            Parts::S(None) => uc.iter_mut().for_each(|u| *u = true),
            Parts::S(Some(0)) => fc.iter_mut().for_each(|f| *f = true),
            Parts::S(Some(_)) => {}
            Parts::V(v, None) => {
                for (f, &x) in fc.iter_mut().zip(v) {
                    *f = x == 0;
                }
            }
            Parts::V(v, Some(m)) => {
                for i in 0..n.min(v.len()) {
                    let known = m.get(i).copied().unwrap_or(false);
                    fc[i] = known && v[i] == 0;
                    uc[i] = !known;
                }
            }
        }
        for i in 0..n {
            failed[i] |= fc[i];
            unknown[i] |= uc[i];
        }
    }
    // Base eligibility: 0 no, 1 yes, 2 unknown.
    for ((e, &f), &u) in elig.iter_mut().zip(failed.iter()).zip(unknown.iter()) {
        *e = if f {
            0
        } else if u {
            2
        } else {
            1
        };
    }
    if !c.exceptions.is_empty() {
        let whens: Vec<Vec<u8>> = c
            .exceptions
            .iter()
            .map(|e| tri(&ctx.eval(&e.when.node), n))
            .collect();
        // Groups of equal priority, highest first: [start, end).
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut k = 0;
        while k < c.exceptions.len() {
            let mut end = k;
            while end < c.exceptions.len() && c.exceptions[end].priority == c.exceptions[k].priority
            {
                end += 1;
            }
            groups.push((k, end));
            k = end;
        }
        let any_grant = c.exceptions.iter().any(|e| e.eligible == Some(true));
        let overrides: Vec<Option<bool>> = c.exceptions.iter().map(|e| e.eligible).collect();
        if groups.iter().all(|(g0, g1)| g1 - g0 == 1) {
            // No two exceptions share a priority, so no conflict is possible: the answer is the
            // highest-priority exception whose condition is true or unknown. Lowest first,
            // overwriting: branch-free passes.
            let mut sel = vec![NO_EXCEPTION; n];
            let mut state = vec![0u8; n];
            for (k, w) in whens.iter().enumerate().rev() {
                let k = u8::try_from(k).unwrap_or(MAYBE_EXCEPTION);
                for ((s, st), &t) in sel.iter_mut().zip(state.iter_mut()).zip(w) {
                    let hit = t != 0;
                    *s = if hit { k } else { *s };
                    *st = if hit { t } else { *st };
                }
            }
            for i in 0..n {
                match (sel[i], state[i]) {
                    (NO_EXCEPTION, _) => {}
                    (_, 2) => {
                        if elig[i] != 0 || any_grant {
                            elig[i] = 2;
                        }
                        exc[i] = MAYBE_EXCEPTION;
                    }
                    (k, _) => {
                        exc[i] = k;
                        if let Some(Some(b)) = overrides.get(k as usize) {
                            elig[i] = u8::from(*b);
                        }
                    }
                }
            }
        } else {
            for i in 0..n {
                for &(g0, g1) in &groups {
                    let (mut trues, mut unk, mut hit) = (0, false, 0usize);
                    for (j, w) in whens[g0..g1].iter().enumerate() {
                        match w[i] {
                            0 => {}
                            1 => {
                                trues += 1;
                                hit = g0 + j;
                            }
                            _ => unk = true,
                        }
                    }
                    if trues >= 2 {
                        elig[i] = 3;
                        break;
                    }
                    if unk {
                        if elig[i] != 0 || any_grant {
                            elig[i] = 2;
                        }
                        exc[i] = MAYBE_EXCEPTION;
                        break;
                    }
                    if trues == 1 {
                        exc[i] = u8::try_from(hit).unwrap_or(MAYBE_EXCEPTION);
                        if let Some(Some(b)) = overrides.get(hit) {
                            elig[i] = u8::from(*b);
                        }
                        break;
                    }
                }
            }
        }
    }
    // Amounts.
    if let Some(af) = &c.amount
        && elig.iter().any(|&e| e == 1 || e == 2)
    {
        let base = ctx.eval(&af.node);
        let bp = base.parts();
        let (bv, bm) = dense(&bp, n);
        let overrides: Vec<Option<Val<'_>>> = c
            .exceptions
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let used = exc.iter().any(|&x| x as usize == k);
                e.amount
                    .as_ref()
                    .filter(|_| used)
                    .map(|f| ctx.eval(&f.node))
            })
            .collect();
        let oparts: Vec<Option<Parts<'_>>> = overrides
            .iter()
            .map(|o| o.as_ref().map(Val::parts))
            .collect();
        let odense: Vec<Option<_>> = oparts
            .iter()
            .map(|o| o.as_ref().map(|p| dense(p, n)))
            .collect();
        let caps: Vec<Val<'_>> = c.caps.iter().map(|f| ctx.eval(&f.node)).collect();
        let cparts: Vec<Parts<'_>> = caps.iter().map(Val::parts).collect();
        let cdense: Vec<_> = cparts.iter().map(|p| dense(p, n)).collect();
        let no_masks = bm.is_none() && cdense.iter().all(|c| c.1.is_none());
        for i in 0..n {
            let e = elig[i];
            if e != 1 {
                continue;
            }
            let (mut a, mut known) = match odense.get(exc[i] as usize).and_then(Option::as_ref) {
                Some((ov, om)) => (ov[i], om.as_ref().is_none_or(|m| m[i])),
                None => (bv[i], bm.as_ref().is_none_or(|m| m[i])),
            };
            if no_masks {
                for (cv, _) in &cdense {
                    a = a.min(cv[i]);
                }
            } else {
                for (cv, cm) in &cdense {
                    a = a.min(cv[i]);
                    known &= cm.as_ref().is_none_or(|m| m[i]);
                }
            }
            if known {
                amount[i] = a.max(0);
            } else {
                amount_known[i] = false;
            }
        }
    }
}

/// Evaluates one formula for one record, the plain way.
pub(crate) fn eval_one_reference(
    prog: &Program,
    data: &Dataset,
    row: usize,
    date: i32,
    f: &crate::compile::Formula,
) -> Option<i64> {
    let params = bind(prog, date);
    let ctx = Ctx {
        prog,
        data,
        start: row,
        len: 1,
        date,
        params: &params,
        elem: None,
        defs: std::cell::RefCell::new(vec![None; prog.defs.len()]),
    };
    ctx.eval(&f.node).at(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marginal_brackets_sum_each_slice() {
        // 0–100元 at 10%, above at 20%: 150元 → 10 + 10 = 20元.
        let rows = vec![(0, 100_000), (10_000, 200_000)];
        assert_eq!(
            marginal_amount(&rows, 15_000, Rounding::HalfUp),
            Some(2_000)
        );
        assert_eq!(flat_value(&rows, 15_000), 200_000);
        assert_eq!(flat_value(&rows, -1), 0);
    }
}
