//! Cases (issue 7): submission with files and shared materials, the checks, the life cycle on
//! the calendar with the clock paused for supplements, conflicts between reviewers, instant
//! approval, the company-setup bundle, warnings, figures, the 痛快办 queue and the demo.

use chrono::{DateTime, Duration, Utc};
use sea_orm::EntityTrait;
use zhengwu_core::Calendar;
use zhengwu_core::WorkingHours;
use zhengwu_core::booking::RatingLevel;
use zhengwu_core::case::Form;
use zhengwu_core::catalog::Item;
use zhengwu_store::audit::Actor;
use zhengwu_store::cases::{self, Act, Applicant, Ctx, NewCase, Upload, assist, figures};
use zhengwu_store::demo::cases_gen::tiny_pdf;
use zhengwu_store::entity::citizen;
use zhengwu_store::{Db, StoreError, catalog, demo, notify, ratings};

use crate::appeals::{friday, reason, setup};

fn actor(label: &str) -> Actor {
    Actor::system(label)
}

struct Env {
    t: zhengwu_store::testing::TestDb,
    cal: Calendar,
    hours: WorkingHours,
    sys: Actor,
}

impl Env {
    fn ctx(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx {
            calendar: &self.cal,
            hours: &self.hours,
            now,
            actor: &self.sys,
            sink: "log",
        }
    }

    fn db(&self) -> &Db {
        &self.t.db
    }
}

async fn env() -> Env {
    let (t, cal) = setup().await;
    demo::create_applicants(&t.db).await.unwrap();
    Env {
        t,
        cal,
        hours: WorkingHours::default(),
        sys: actor("test"),
    }
}

/// A citizen's item with materials the applicant brings, a standard form, reviewed over days.
async fn citizen_item(db: &Db) -> Item {
    catalog::published_items(db.conn())
        .await
        .unwrap()
        .into_iter()
        .find(|i| {
            i.for_citizens()
                && !i.for_enterprises()
                && !i.instant_approval
                && i.bundle.is_empty()
                && i.form.is_empty()
                && i.promised_limit_days >= 5.0
                && !i.halls.is_empty()
                && i.materials.iter().any(|m| !m.is_shared() && m.required)
                && i.materials.iter().any(|m| m.is_shared())
        })
        .expect("a citizen item with brought and shared materials")
}

async fn first_citizen(db: &Db) -> citizen::Model {
    citizen::Entity::find()
        .one(db.conn())
        .await
        .unwrap()
        .unwrap()
}

fn form_of(c: &citizen::Model) -> Form {
    [
        ("applicant_name", c.name.as_str()),
        ("id_number", c.id_number.as_str()),
        ("mobile", c.mobile.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// One PDF for every material the applicant must bring.
fn files_for(item: &Item, seed: u64) -> Vec<Upload> {
    item.materials
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_shared() && m.required)
        .map(|(i, m)| Upload {
            material: i,
            name: format!("{}.pdf", m.name),
            bytes: tiny_pdf(seed + i as u64),
        })
        .collect()
}

fn new_case(item: &Item, c: &citizen::Model, files: Vec<Upload>) -> NewCase {
    NewCase {
        item_code: item.code.clone(),
        channel: "web".into(),
        applicant: Applicant::Citizen(c.id),
        form: form_of(c),
        files,
        authorisation: None,
    }
}

#[tokio::test]
async fn a_submission_keeps_its_files_by_hash_records_shared_materials_and_runs_the_checks() {
    let e = env().await;
    let item = citizen_item(e.db()).await;
    let c = first_citizen(e.db()).await;
    let now = friday();
    let tx = e.db().begin_write().await.unwrap();
    let d = cases::submit(&tx, new_case(&item, &c, files_for(&item, 1)), &e.ctx(now))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        d.case.number.starts_with("BJ20260918-"),
        "{}",
        d.case.number
    );
    assert_eq!(d.case.status, "submitted");
    assert_eq!(d.case.applicant_name, c.name);
    assert!(d.case.applicant_mobile.as_deref().unwrap().contains("****"));
    assert_eq!(d.materials.len(), item.materials.len());
    for (m, im) in d.materials.iter().zip(&item.materials) {
        let want = if im.is_shared() {
            "shared"
        } else if im.required {
            "file"
        } else {
            "missing"
        };
        assert_eq!(m.provided, want, "{}", m.name);
    }
    assert_eq!(
        d.files.len(),
        item.materials
            .iter()
            .filter(|m| !m.is_shared() && m.required)
            .count()
    );
    assert!(d.files.iter().all(|f| f.content_type == "application/pdf"));
    assert!(
        d.checks
            .iter()
            .any(|x| x.check == "present" && x.outcome == "pass")
    );
    assert!(d.checks.iter().any(|x| x.check == "readable"));
    assert_eq!(d.events[0].kind, "submit");
    assert_eq!(
        cases::by_number(e.db().conn(), &d.case.number.to_lowercase())
            .await
            .unwrap(),
        Some(d.case.id)
    );
    let counts = cases::check_counts(e.db().conn(), &[d.case.id])
        .await
        .unwrap();
    let (failed, manual, all) = counts[&d.case.id];
    assert_eq!(all as usize, d.checks.len());
    assert_eq!(
        failed as usize,
        d.checks.iter().filter(|x| x.outcome == "fail").count()
    );
    assert_eq!(
        manual as usize,
        d.checks.iter().filter(|x| x.outcome == "manual").count()
    );
    let (_, bytes) = cases::file(e.db().conn(), d.case.id, d.files[0].id)
        .await
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
}

#[tokio::test]
async fn bad_files_and_bad_forms_are_refused_and_nothing_is_written() {
    let e = env().await;
    let item = citizen_item(e.db()).await;
    let c = first_citizen(e.db()).await;
    let idx = item
        .materials
        .iter()
        .position(|m| !m.is_shared() && m.required)
        .unwrap();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDAT\x08\xd7c\xf8\xcf\xc0\0\0\x03\x01\x01\0\x18\xdd\x8d\xb0\0\0\0\0IEND\xaeB`\x82".to_vec();
    let mut cut = tiny_pdf(9);
    cut.truncate(cut.len() - 8);
    let bad_files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("scan.pdf", Vec::new(), "file_empty"),
        ("scan.pdf", png.clone(), "file_forged:pdf"),
        ("scan.pdf", cut, "file_corrupt"),
        ("notes.txt", b"hello".to_vec(), "upload_type:"),
        (
            "big.pdf",
            [tiny_pdf(1), vec![b' '; 11 * 1024 * 1024]].concat(),
            "upload_size:10",
        ),
    ];
    for (name, bytes, want) in bad_files {
        let tx = e.db().begin_write().await.unwrap();
        let mut n = new_case(&item, &c, files_for(&item, 1));
        n.files.push(Upload {
            material: idx,
            name: name.into(),
            bytes,
        });
        let err = cases::submit(&tx, n, &e.ctx(friday())).await.unwrap_err();
        assert!(reason(err).starts_with(want), "{name}: {want}");
    }
    let refusals: Vec<(&str, Option<&str>, &str)> = vec![
        ("applicant_name", None, "form_required:申请人姓名"),
        (
            "id_valid_until",
            Some("明年"),
            "form_not_a_date:身份证有效期至",
        ),
        ("nickname", Some("x"), "form_unknown_field:nickname"),
    ];
    for (key, value, want) in refusals {
        let tx = e.db().begin_write().await.unwrap();
        let mut n = new_case(&item, &c, files_for(&item, 1));
        match value {
            Some(v) => {
                n.form.insert(key.into(), v.into());
            }
            None => {
                n.form.remove(key);
            }
        }
        let err = cases::submit(&tx, n, &e.ctx(friday())).await.unwrap_err();
        assert_eq!(reason(err), want);
    }
    // A file for a material the item does not have; an unknown item; an agent without the
    // applicant's authorisation.
    let tx = e.db().begin_write().await.unwrap();
    let mut n = new_case(&item, &c, Vec::new());
    n.files.push(Upload {
        material: 99,
        name: "x.pdf".into(),
        bytes: tiny_pdf(1),
    });
    assert_eq!(
        reason(cases::submit(&tx, n, &e.ctx(friday())).await.unwrap_err()),
        "unknown:99"
    );
    let mut n = new_case(&item, &c, Vec::new());
    n.item_code = "NOPE".into();
    assert!(matches!(
        cases::submit(&tx, n, &e.ctx(friday())).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let mut n = new_case(&item, &c, Vec::new());
    n.channel = "agent".into();
    assert_eq!(
        reason(cases::submit(&tx, n, &e.ctx(friday())).await.unwrap_err()),
        "required"
    );
    drop(tx);
    assert_eq!(cases::count(e.db().conn()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_life_cycle_runs_on_the_calendar_and_pauses_for_supplements() {
    let e = env().await;
    let item = citizen_item(e.db()).await;
    let c = first_citizen(e.db()).await;
    let t0 = friday();
    let tx = e.db().begin_write().await.unwrap();
    let d = cases::submit(&tx, new_case(&item, &c, files_for(&item, 1)), &e.ctx(t0))
        .await
        .unwrap();
    let id = d.case.id;
    let d = cases::act(&tx, id, Act::Accept, None, &e.ctx(t0))
        .await
        .unwrap();
    assert_eq!(d.case.status, "accepted");
    let due = d.case.due_at.unwrap();
    assert_eq!(
        due,
        zhengwu_core::case::due_at(&e.cal, &e.hours, t0, item.promised_limit_days, 0)
    );
    assert_eq!(d.case.deadline, "on_time");
    // A reviewer asks for supplements the next working day; the applicant brings them two
    // working days later: the limit moves by the two working days it stood still.
    let t1 = e.cal.deadline_after_seconds(t0, 7 * 3600, &e.hours);
    cases::act(&tx, id, Act::Review, None, &e.ctx(t1))
        .await
        .unwrap();
    let d = cases::act(
        &tx,
        id,
        Act::RequestSupplement {
            missing: vec!["房屋租赁合同".into(), "户口簿首页复印件".into()],
        },
        None,
        &e.ctx(t1),
    )
    .await
    .unwrap();
    assert_eq!(d.case.status, "supplementing");
    assert_eq!(d.case.missing.len(), 2);
    // An empty list, or approving while paused, is refused.
    let err = cases::act(
        &tx,
        id,
        Act::RequestSupplement { missing: vec![] },
        None,
        &e.ctx(t1),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(err), "case_not_now:supplementing");
    let t2 = e.cal.deadline_after_seconds(t1, 2 * 7 * 3600, &e.hours);
    let d = cases::supplement(
        &tx,
        id,
        None,
        vec![Upload {
            material: 0,
            name: "合同.pdf".into(),
            bytes: tiny_pdf(77),
        }],
        &e.ctx(t2),
    )
    .await
    .unwrap();
    assert_eq!(d.case.status, "in_review");
    assert!(d.case.missing.is_empty());
    assert_eq!(d.case.paused_seconds, 2 * 7 * 3600);
    assert_eq!(
        d.case.due_at.unwrap(),
        e.cal.deadline_after_seconds(due, 2 * 7 * 3600, &e.hours)
    );
    assert!(d.checks.iter().all(|x| x.run == 2), "the checks ran again");
    // Decide, make the result, hand it out, rate it.
    let t3 = t2 + Duration::hours(1);
    let d = cases::act(
        &tx,
        id,
        Act::Approve {
            note: Some("符合条件".into()),
            legal_basis: None,
            instant: None,
        },
        None,
        &e.ctx(t3),
    )
    .await
    .unwrap();
    assert_eq!(d.case.status, "approved");
    assert_eq!(d.case.deadline, "");
    cases::act(&tx, id, Act::ResultReady, None, &e.ctx(t3))
        .await
        .unwrap();
    let err = ratings::rate_case(&tx, id, score(5), &e.cal, 5, t3, &e.sys)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "not_finished:result_ready");
    let d = cases::act(
        &tx,
        id,
        Act::HandOut {
            way: "window".into(),
            gift_pack: vec![],
        },
        None,
        &e.ctx(t3),
    )
    .await
    .unwrap();
    assert_eq!(d.case.status, "handed_out");
    let r = ratings::rate_case(&tx, id, score(1), &e.cal, 5, t3, &e.sys)
        .await
        .unwrap();
    assert!(
        r.rectification_id.is_some(),
        "a bad rating opens a rectification"
    );
    assert_eq!(r.case_id, Some(id));
    let err = ratings::rate_case(&tx, id, score(5), &e.cal, 5, t3, &e.sys)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "already_rated");
    let d = cases::detail(&tx, id, &e.cal, &e.hours, t3).await.unwrap();
    let kinds: Vec<&str> = d.events.iter().map(|x| x.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "submit",
            "accept",
            "review",
            "request_supplement",
            "supplement",
            "approve",
            "result_ready",
            "hand_out"
        ]
    );
    assert_eq!(d.rating, Some(1));
    // The applicant was told what was missing and where to collect the result.
    let queued = notify::list(&tx, notify::Status::Pending, 50)
        .await
        .unwrap();
    let topics: Vec<&str> = queued.iter().map(|m| m.topic.as_str()).collect();
    assert!(topics.contains(&"sms.case_supplement"), "{topics:?}");
    assert!(topics.contains(&"sms.case_result_ready"), "{topics:?}");
    tx.commit().await.unwrap();
}

fn score(level: i64) -> ratings::Score {
    ratings::Score {
        level: RatingLevel::new(level).unwrap(),
        reasons: vec![],
        comment: None,
        channel: "phone".into(),
    }
}

#[tokio::test]
async fn of_two_reviewers_deciding_at_once_one_wins_and_a_withdrawn_case_is_never_approved() {
    let e = env().await;
    let item = citizen_item(e.db()).await;
    let c = first_citizen(e.db()).await;
    let now = friday();
    let tx = e.db().begin_write().await.unwrap();
    let d = cases::submit(&tx, new_case(&item, &c, files_for(&item, 1)), &e.ctx(now))
        .await
        .unwrap();
    let id = d.case.id;
    let d = cases::act(&tx, id, Act::Accept, None, &e.ctx(now))
        .await
        .unwrap();
    let seen = d.case.revision;
    let other = cases::submit(&tx, new_case(&item, &c, files_for(&item, 5)), &e.ctx(now))
        .await
        .unwrap()
        .case
        .id;
    tx.commit().await.unwrap();
    // Both read revision `seen`; both decide at once in their own transactions.
    let decide = |approve: bool| {
        let db = e.db().clone();
        let (cal, hours) = (e.cal.clone(), e.hours.clone());
        async move {
            let a = actor(if approve { "reviewer.a" } else { "reviewer.b" });
            let ctx = Ctx {
                calendar: &cal,
                hours: &hours,
                now,
                actor: &a,
                sink: "log",
            };
            let tx = db.begin_write().await.unwrap();
            let act = if approve {
                Act::Approve {
                    note: None,
                    legal_basis: None,
                    instant: None,
                }
            } else {
                Act::Reject {
                    reasons: "不符合条件".into(),
                    legal_basis: "《条例》第三条".into(),
                }
            };
            let r = cases::act(&tx, id, act, Some(seen), &ctx).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r.map(|d| d.case.status)
        }
    };
    let (a, b) = tokio::join!(decide(true), decide(false));
    let (won, lost) = match (&a, &b) {
        (Ok(s), Err(e)) | (Err(e), Ok(s)) => (s.clone(), e),
        _ => panic!("exactly one must win: {a:?} {b:?}"),
    };
    assert!(matches!(lost, StoreError::Stale { .. }), "{lost:?}");
    let row = cases::row(e.db().conn(), id).await.unwrap();
    assert_eq!(row.status, won);
    // Withdrawn before a decision: approving it is refused.
    let tx = e.db().begin_write().await.unwrap();
    cases::act(&tx, other, Act::Withdraw, None, &e.ctx(now))
        .await
        .unwrap();
    let err = cases::act(
        &tx,
        other,
        Act::Approve {
            note: None,
            legal_basis: None,
            instant: None,
        },
        None,
        &e.ctx(now),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(err), "case_not_now:withdrawn");
    // A decided case takes no second decision.
    let err = cases::act(
        &tx,
        id,
        Act::Reject {
            reasons: " ".into(),
            legal_basis: "x".into(),
        },
        None,
        &e.ctx(now),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(err), format!("case_not_now:{won}"));
}

#[tokio::test]
async fn an_item_marked_for_instant_approval_is_approved_by_the_machine_when_every_check_passes() {
    let e = env().await;
    let item = catalog::published_items(e.db().conn())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.instant_approval && i.for_citizens() && i.code.contains("RSJ-GG-5005"))
        .expect("the demo's 秒批 item 210231-RSJ-GG-5005");
    let c = first_citizen(e.db()).await;
    let now = friday();
    let tx = e.db().begin_write().await.unwrap();
    let d = cases::submit(&tx, new_case(&item, &c, vec![]), &e.ctx(now))
        .await
        .unwrap();
    assert_eq!(d.case.status, "result_ready");
    let rule = d.case.instant_rule.clone().unwrap();
    assert!(rule.starts_with("秒批 210231-RSJ-GG-5005 v1: "), "{rule}");
    assert!(
        d.events
            .iter()
            .any(|x| x.kind == "approve" && x.actor == "秒批")
    );
    // With a wrong ID check digit the machine does not approve: a person decides.
    let mut n = new_case(&item, &c, vec![]);
    let mut id = c.id_number.clone();
    let last = id.pop().unwrap();
    id.push(if last == '0' { '1' } else { '0' });
    n.form.insert("id_number".into(), id);
    let d = cases::submit(&tx, n, &e.ctx(now)).await.unwrap();
    assert_eq!(d.case.status, "submitted");
    assert!(d.case.instant_rule.is_none());
    assert!(
        d.checks
            .iter()
            .any(|x| x.check == "id_number_valid" && x.outcome == "fail")
    );
}

#[tokio::test]
async fn company_setup_runs_its_parts_in_parallel_under_half_a_working_day() {
    let e = env().await;
    let bundle = catalog::published_item(e.db().conn(), "210231-SCJ-GG-0001")
        .await
        .unwrap();
    assert!(bundle.bundle.len() >= 5, "{:?}", bundle.bundle);
    let c = first_citizen(e.db()).await;
    let now = friday();
    let form: Form = [
        ("applicant_name", "大连星海数据科技有限公司"),
        ("legal_rep", c.name.as_str()),
        ("id_number", c.id_number.as_str()),
        ("mobile", c.mobile.as_str()),
        ("registered_capital", "100"),
        ("business_scope", "软件开发；信息技术咨询服务"),
        ("address", "辽宁省大连市高新区黄浦路 537 号"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let tx = e.db().begin_write().await.unwrap();
    let d = cases::submit(
        &tx,
        NewCase {
            item_code: bundle.code.clone(),
            channel: "window".into(),
            applicant: Applicant::WalkIn {
                name: "大连星海数据科技有限公司".into(),
                mobile: Some(c.mobile.clone()),
            },
            form,
            files: files_for(&bundle, 3),
            authorisation: None,
        },
        &e.ctx(now),
    )
    .await
    .unwrap();
    let id = d.case.id;
    assert_eq!(d.parts.len(), bundle.bundle.len());
    let depts: std::collections::HashSet<i64> = d.parts.iter().map(|p| p.department_id).collect();
    assert_eq!(
        depts.len(),
        d.parts.len(),
        "each part in its own department"
    );
    // A bundle is decided by its parts.
    cases::act(&tx, id, Act::Accept, None, &e.ctx(now))
        .await
        .unwrap();
    let err = cases::act(
        &tx,
        id,
        Act::Approve {
            note: None,
            legal_basis: None,
            instant: None,
        },
        None,
        &e.ctx(now),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(err), "bundle_parts_decide");
    // Once accepted, a supplement is asked for by the part that needs it.
    let err = cases::act(
        &tx,
        id,
        Act::RequestSupplement {
            missing: vec!["公司章程".into()],
        },
        None,
        &e.ctx(now),
    )
    .await
    .unwrap_err();
    assert_eq!(reason(err), "bundle_parts_decide");
    let d = cases::detail(&tx, id, &e.cal, &e.hours, now).await.unwrap();
    let due = d.case.due_at.unwrap();
    // 10:00 Friday + 3.5 working hours = 15:00.
    assert_eq!(due, now + Duration::hours(5));
    for p in &d.parts {
        assert_eq!(p.status, "accepted");
        assert_eq!(p.due_at, Some(due), "one commitment for every part");
    }
    let later = now + Duration::hours(2);
    for (i, p) in d.parts.iter().enumerate() {
        cases::act(
            &tx,
            p.id,
            Act::Approve {
                note: None,
                legal_basis: None,
                instant: None,
            },
            None,
            &e.ctx(later),
        )
        .await
        .unwrap();
        let b = cases::row(&tx, id).await.unwrap();
        assert_eq!(b.status, "accepted", "part {i}: waits for its result");
        cases::act(&tx, p.id, Act::ResultReady, None, &e.ctx(later))
            .await
            .unwrap();
    }
    let b = cases::detail(&tx, id, &e.cal, &e.hours, later)
        .await
        .unwrap();
    assert_eq!(b.case.status, "result_ready", "done when every part is");
    let gift = vec![
        "营业执照".to_owned(),
        "首套公章".into(),
        "惠企政策汇编".into(),
    ];
    let b = cases::act(
        &tx,
        id,
        Act::HandOut {
            way: "window".into(),
            gift_pack: gift.clone(),
        },
        None,
        &e.ctx(later),
    )
    .await
    .unwrap();
    assert_eq!(b.case.gift_pack, gift);
    assert!(b.parts.iter().all(|p| p.status == "handed_out"));
    assert!(
        b.case.decided_at.unwrap() <= due,
        "within half a working day"
    );
}

#[tokio::test]
async fn yellow_and_red_are_told_once_and_the_figures_come_from_the_cases() {
    let e = env().await;
    let item = citizen_item(e.db()).await;
    let c = first_citizen(e.db()).await;
    let t0 = friday();
    let tx = e.db().begin_write().await.unwrap();
    let a = cases::submit(&tx, new_case(&item, &c, files_for(&item, 1)), &e.ctx(t0))
        .await
        .unwrap()
        .case
        .id;
    let b = cases::submit(&tx, new_case(&item, &c, files_for(&item, 2)), &e.ctx(t0))
        .await
        .unwrap()
        .case
        .id;
    for id in [a, b] {
        cases::act(&tx, id, Act::Accept, None, &e.ctx(t0))
            .await
            .unwrap();
    }
    // `b` is decided after one working day.
    let t1 = e.cal.deadline_after_seconds(t0, 7 * 3600, &e.hours);
    cases::act(
        &tx,
        b,
        Act::Approve {
            note: None,
            legal_basis: None,
            instant: None,
        },
        None,
        &e.ctx(t1),
    )
    .await
    .unwrap();
    let due = cases::row(&tx, a).await.unwrap().due_at.unwrap();
    let late = due + Duration::days(3);
    assert_eq!(cases::sweep(&tx, &e.ctx(late)).await.unwrap(), 2);
    assert_eq!(cases::sweep(&tx, &e.ctx(late)).await.unwrap(), 0, "once");
    let red = cases::list(
        &tx,
        &cases::Filter {
            deadline: Some(zhengwu_core::case::Deadline::Red),
            limit: 10,
            ..Default::default()
        },
        &e.cal,
        &e.hours,
        late,
    )
    .await
    .unwrap();
    assert_eq!(red.iter().map(|x| x.id).collect::<Vec<_>>(), vec![a]);
    let load = cases::load_by_department(&tx, &e.cal, &e.hours, late)
        .await
        .unwrap();
    assert_eq!(load[0].red, 1);
    let r = figures::report(&tx, &e.cal, &e.hours).await.unwrap();
    assert_eq!(r.all.cases, 2);
    assert_eq!(r.all.decided, 1);
    assert!((r.all.mean_days_to_decision - 1.0).abs() < 1e-9);
    let shared = item.materials.iter().filter(|m| m.is_shared()).count() as u64;
    assert_eq!(r.all.materials, 2 * item.materials.len() as u64);
    assert_eq!(r.all.shared, 2 * shared);
    assert!(r.all.faster_than_legal > 0.0 && r.all.faster_than_legal < 1.0);
    assert_eq!(r.items[0].key, item.code);
}

fn named(mobile: &str) -> assist::Resident {
    assist::Resident::Named {
        name: "王阿姨".into(),
        mobile: mobile.into(),
    }
}

#[tokio::test]
async fn a_stuck_matter_is_taken_by_a_named_owner_and_resolved() {
    let e = env().await;
    let now = friday();
    let tx = e.db().begin_write().await.unwrap();
    let err = assist::create(&tx, named("12345"), "找不到门", now, &e.sys)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "mobile");
    let r = assist::create(
        &tx,
        named("13904110003"),
        "办老年优待证跑了两次，不知道该找哪个窗口",
        now,
        &e.sys,
    )
    .await
    .unwrap();
    assert_eq!(r.status, "open");
    assert!(r.number.starts_with("TK20260918-"));
    let owner = Actor {
        kind: "staff",
        id: Some(7),
        label: "clerk.hall".into(),
        ip: None,
    };
    let err = assist::take(&tx, r.id, Some(0), &e.cal, now, &owner)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "range:1-20");
    let t = assist::take(&tx, r.id, None, &e.cal, now, &owner)
        .await
        .unwrap();
    assert_eq!(t.owner.as_deref(), Some("clerk.hall"));
    assert_eq!(
        t.due_on,
        Some(e.cal.add_working_days(friday().date_naive(), 3))
    );
    let err = assist::take(&tx, r.id, None, &e.cal, now, &owner)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "not_now:taken");
    let stranger = Actor {
        id: Some(8),
        ..owner.clone()
    };
    let err = assist::resolve(&tx, r.id, "已经帮办完成", None, now, &stranger)
        .await
        .unwrap_err();
    assert_eq!(reason(err), "not_owner");
    let done = assist::resolve(&tx, r.id, "已陪同到综合窗口办结", None, now, &owner)
        .await
        .unwrap();
    assert_eq!(done.status, "resolved");
    let list = assist::list(&tx, None, now).await.unwrap();
    assert_eq!(list.len(), 1);
}

#[tokio::test]
async fn the_demo_makes_cases_in_every_kind_of_state() {
    let e = env().await;
    let s = demo::cases_gen::generate_cases(e.db(), 120, 7, Utc::now())
        .await
        .unwrap();
    assert_eq!(s.cases, 120);
    assert!(s.bundles >= 2, "{s:?}");
    assert!(s.decided > 20 && s.open > 5, "{s:?}");
    let all = cases::list(
        e.db().conn(),
        &cases::Filter {
            limit: 1000,
            with_parts: true,
            ..Default::default()
        },
        &e.cal,
        &e.hours,
        Utc::now(),
    )
    .await
    .unwrap();
    let states: std::collections::HashSet<&str> = all.iter().map(|c| c.status.as_str()).collect();
    for s in ["submitted", "accepted", "in_review", "handed_out"] {
        assert!(states.contains(s), "{s} in {states:?}");
    }
    let r = figures::report(e.db().conn(), &e.cal, &e.hours)
        .await
        .unwrap();
    assert!(
        r.all.shared_share > 0.2 && r.all.shared_share < 0.9,
        "{:?}",
        r.all
    );
}
