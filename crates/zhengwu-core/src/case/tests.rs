use super::*;
use crate::catalog::{Material, enterprise_form};
use chrono::TimeZone;

/// The life cycle as the issue writes it, one line per allowed move; every other pair of
/// state and event must be refused.
const ALLOWED: [(Status, Event, Status); 19] = {
    use Event as E;
    use Status as S;
    [
        (S::Submitted, E::Accept, S::Accepted),
        (S::Submitted, E::Refuse, S::NotAccepted),
        (S::Correcting, E::Refuse, S::NotAccepted),
        (S::Submitted, E::RequestSupplement, S::Correcting),
        (S::Accepted, E::RequestSupplement, S::Supplementing),
        (S::InReview, E::RequestSupplement, S::Supplementing),
        (S::Correcting, E::Supplement, S::Submitted),
        (S::Supplementing, E::Supplement, S::InReview),
        (S::Accepted, E::Review, S::InReview),
        (S::Accepted, E::Approve, S::Approved),
        (S::InReview, E::Approve, S::Approved),
        (S::Accepted, E::Reject, S::Rejected),
        (S::InReview, E::Reject, S::Rejected),
        (S::Approved, E::ResultReady, S::ResultReady),
        (S::ResultReady, E::HandOut, S::HandedOut),
        (S::HandedOut, E::Close, S::Closed),
        (S::Rejected, E::Close, S::Closed),
        (S::Submitted, E::Withdraw, S::Withdrawn),
        (S::Correcting, E::Withdraw, S::Withdrawn),
    ]
};

#[test]
fn every_state_and_event_has_the_expected_outcome() {
    let withdrawable = [Status::Accepted, Status::InReview, Status::Supplementing];
    for from in Status::ALL {
        for e in Event::ALL {
            let mut want = ALLOWED
                .iter()
                .find(|(f, ev, _)| *f == from && *ev == e)
                .map(|t| t.2);
            if e == Event::Withdraw && withdrawable.contains(&from) {
                want = Some(Status::Withdrawn);
            }
            match transition(from, e) {
                Ok(to) => assert_eq!(Some(to), want, "{from:?} + {e:?}"),
                Err(err) => {
                    assert_eq!(want, None, "{from:?} + {e:?} refused");
                    assert_eq!(err.from, from);
                    assert!(err.to_string().contains(from.as_str()));
                }
            }
        }
    }
}

#[test]
fn final_states_take_nothing_and_a_decided_case_cannot_be_withdrawn() {
    for s in Status::ALL.into_iter().filter(|s| s.is_final()) {
        for e in Event::ALL {
            assert!(transition(s, e).is_err(), "{s:?} + {e:?}");
        }
    }
    for s in [
        Status::Approved,
        Status::Rejected,
        Status::ResultReady,
        Status::HandedOut,
    ] {
        assert!(transition(s, Event::Withdraw).is_err());
    }
    // A withdrawn case is never approved.
    assert!(transition(Status::Withdrawn, Event::Approve).is_err());
}

#[test]
fn the_clock_runs_only_between_acceptance_and_decision_and_pauses_for_supplements() {
    let running: Vec<Status> = Status::ALL.into_iter().filter(|s| s.clock_runs()).collect();
    assert_eq!(running, vec![Status::Accepted, Status::InReview]);
    assert!(!Status::Supplementing.clock_runs() && Status::Supplementing.awaits_decision());
    assert!(Status::Correcting.awaits_applicant() && !Status::Correcting.awaits_decision());
}

#[test]
fn names_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(s));
    }
    for e in Event::ALL {
        assert_eq!(Event::parse(e.name()), Some(e));
    }
    assert_eq!(Status::parse("受理"), None);
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    // District time is UTC+8.
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - chrono::Duration::hours(8)
}

#[test]
fn limits_count_working_time_skip_weekends_and_stretch_by_the_pause() {
    let cal = Calendar::from_days([]);
    let hours = WorkingHours::default(); // 9:00–12:00, 13:30–17:30: 7 hours a day.
    // Monday 2026-11-02 10:00, 0.5 working day = 3.5 hours: 10–12 (2 h), 13:30–15:00.
    let mon = utc(2026, 11, 2, 10, 0);
    assert_eq!(due_at(&cal, &hours, mon, 0.5, 0), utc(2026, 11, 2, 15, 0));
    // Friday 16:00 + 1 day: 1.5 h on Friday, 5.5 h on Monday → Monday 16:00.
    let fri = utc(2026, 11, 6, 16, 0);
    assert_eq!(due_at(&cal, &hours, fri, 1.0, 0), utc(2026, 11, 9, 16, 0));
    // Paused for one working hour: an hour later.
    assert_eq!(
        due_at(&cal, &hours, mon, 0.5, 3600),
        utc(2026, 11, 2, 16, 0)
    );
    // On the spot (0 days): the end of the acceptance day; after hours, the next day's end.
    assert_eq!(due_at(&cal, &hours, mon, 0.0, 0), utc(2026, 11, 2, 17, 30));
    assert_eq!(
        due_at(&cal, &hours, utc(2026, 11, 2, 18, 0), 0.0, 0),
        utc(2026, 11, 3, 17, 30)
    );
}

#[test]
fn holidays_on_the_calendar_do_not_count() {
    let cal = Calendar::china();
    let hours = WorkingHours::default();
    // Thursday 2026-09-30 … the National Day week is off; 1 day from Wednesday 17:00 (0.5 h
    // left that day) ends in the first working day after the holiday, if the table has it.
    let start = utc(2026, 9, 30, 17, 0);
    let due = due_at(&cal, &hours, start, 1.0, 0);
    let worked = cal.working_seconds_between(start, due, &hours);
    assert_eq!(worked, hours.seconds_per_day());
}

#[test]
fn deadlines_turn_yellow_at_three_quarters_and_red_after_the_limit() {
    let cal = Calendar::from_days([]);
    let hours = WorkingHours::default();
    let start = utc(2026, 11, 2, 9, 0);
    let due = due_at(&cal, &hours, start, 4.0, 0); // Thursday 17:30.
    let at = |d, h| utc(2026, 11, d, h, 0);
    assert_eq!(
        deadline_state(&cal, &hours, start, due, 0, at(3, 10)),
        Deadline::OnTime
    );
    assert_eq!(
        deadline_state(&cal, &hours, start, due, 0, at(5, 10)),
        Deadline::Yellow
    );
    assert_eq!(
        deadline_state(&cal, &hours, start, due, 0, at(6, 9)),
        Deadline::Red
    );
    // A pause moves the limit: the same instant is on time again.
    let due2 = due_at(&cal, &hours, start, 4.0, 2 * 7 * 3600);
    assert_eq!(
        deadline_state(&cal, &hours, start, due2, 2 * 7 * 3600, at(5, 10)),
        Deadline::OnTime
    );
}

fn item() -> Item {
    let mut it = Item {
        code: "210231-SCJ-GG-0001".into(),
        basic_code: "11850800010Y".into(),
        name: "企业开办".into(),
        aliases: vec![],
        item_type: "公共服务".into(),
        department: "SCJ".into(),
        service_object: vec!["法人".into()],
        legal_limit_days: 3.0,
        promised_limit_days: 0.5,
        instant: false,
        conditions: String::new(),
        steps: vec![],
        visits: 0,
        online: "full".into(),
        online_depth: 4,
        bookable: true,
        halls: vec!["H-PUB".into()],
        windows: vec![],
        stations: "none".into(),
        legal_basis: vec![],
        result: String::new(),
        version: 1,
        effective_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        fees: vec![],
        faqs: vec![],
        materials: vec![],
        form: vec![],
        instant_approval: false,
        bundle: vec![],
    };
    it.materials = vec![
        Material {
            name: "申请表".into(),
            required: true,
            condition: String::new(),
            form: "electronic".into(),
            copies: 1,
            source: "applicant".into(),
            shared_from: String::new(),
            checks: vec!["required_fields".into(), "consistent_names".into()],
            blank_form: String::new(),
            sample: String::new(),
        },
        Material {
            name: "法定代表人身份证件".into(),
            required: true,
            condition: String::new(),
            form: "electronic".into(),
            copies: 1,
            source: "shared".into(),
            shared_from: "公安人口信息库".into(),
            checks: vec!["id_number_valid".into()],
            blank_form: String::new(),
            sample: String::new(),
        },
        Material {
            name: "委托书".into(),
            required: false,
            condition: "委托办理的".into(),
            form: "original".into(),
            copies: 1,
            source: "applicant".into(),
            shared_from: String::new(),
            checks: vec!["signature_present".into()],
            blank_form: String::new(),
            sample: String::new(),
        },
    ];
    it.form = enterprise_form();
    it.instant_approval = true;
    it
}

fn good_form() -> Form {
    [
        ("applicant_name", "大连星海科技有限公司"),
        ("credit_code", "91110000600037341L"),
        ("legal_rep", "王小明"),
        ("id_number", "11010519491231002X"),
        ("mobile", "13812345678"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[test]
fn forms_refuse_unknown_missing_wrong_typed_and_out_of_range_fields() {
    let mut fields = enterprise_form();
    fields.push(FormField {
        key: "capital".into(),
        label: "注册资本（万元）".into(),
        kind: "number".into(),
        required: true,
        min: Some(1.0),
        max: Some(100000.0),
        options: vec![],
        expires: false,
        applicant_name: false,
    });
    let mut f = good_form();
    f.insert("capital".into(), " 500 ".into());
    let ok = validate_form(&fields, &f).unwrap();
    assert_eq!(ok["capital"], "500");
    let refused = |k: &str, v: &str| {
        let mut g = f.clone();
        g.insert(k.into(), v.into());
        validate_form(&fields, &g).unwrap_err()
    };
    assert_eq!(refused("capital", "五百").reason, "not_a_number");
    assert_eq!(refused("capital", "NaN").reason, "not_a_number");
    assert_eq!(refused("capital", "0").reason, "range:1-100000");
    assert_eq!(refused("capital", "").reason, "required");
    assert_eq!(refused("nickname", "x").reason, "unknown_field");
    assert_eq!(
        refused("legal_rep", &"长".repeat(501)).reason,
        "length:0-500"
    );
}

#[test]
fn checks_pass_a_good_application_and_allow_instant_approval() {
    let it = item();
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let provided = vec![
        Provided::File {
            mime: "application/pdf".into(),
        },
        Provided::Shared {
            reference: "公安人口信息库".into(),
        },
        Provided::Missing,
    ];
    let r = run_checks(&it, &good_form(), &provided, "大连星海科技有限公司", today);
    assert!(r.iter().all(|c| c.outcome == Outcome::Pass), "{r:#?}");
    assert!(r.iter().any(|c| c.check == "credit_code_valid"));
    assert!(
        r.iter()
            .any(|c| c.check == "readable" && c.detail == "application/pdf")
    );
    assert!(instantly_approvable(&it, &r));
    assert!(instant_rule_set(&it, &r).starts_with("秒批 210231-SCJ-GG-0001 v1: "));
}

#[test]
fn checks_name_what_fails_and_what_needs_a_person() {
    let it = item();
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let mut form = good_form();
    form.insert("id_number".into(), "110105194912310021".into()); // wrong check digit
    form.insert("credit_code".into(), "91110000600037341M".into());
    let provided = vec![
        Provided::Missing,
        Provided::Shared {
            reference: "x".into(),
        },
        Provided::File {
            mime: "image/png".into(),
        },
    ];
    let r = run_checks(&it, &form, &provided, "别的公司", today);
    let find = |t: &str, c: &str| {
        r.iter()
            .find(|x| x.target == t && x.check == c)
            .unwrap_or_else(|| panic!("{t}/{c} in {r:#?}"))
    };
    assert_eq!(find("id_number", "id_number_valid").detail, "check_digit");
    assert_eq!(
        find("credit_code", "credit_code_valid").outcome,
        Outcome::Fail
    );
    assert_eq!(
        find("applicant_name", "consistent_names").detail,
        "name_differs"
    );
    assert_eq!(find("申请表", "present").detail, "missing");
    assert_eq!(
        find("法定代表人身份证件", "id_number_valid").outcome,
        Outcome::Fail
    );
    assert_eq!(find("委托书", "signature_present").outcome, Outcome::Manual);
    assert!(!instantly_approvable(&it, &r));
    // An expired ID card.
    let mut f2 = good_form();
    f2.insert("id_valid_until".into(), "2026-11-27".into());
    let mut it2 = it.clone();
    it2.form = crate::catalog::citizen_form();
    let r2 = run_checks(&it2, &f2, &provided, "王小明", today);
    assert!(
        r2.iter()
            .any(|c| c.check == "not_expired" && c.outcome == Outcome::Fail)
    );
    // Not marked for instant approval: never approved by the machine.
    let mut it3 = it;
    it3.instant_approval = false;
    assert!(!instantly_approvable(&it3, &[]));
}

#[test]
fn names_are_compared_as_people_write_them() {
    assert!(same_name(
        "大连 星海(科技)有限公司",
        "大连星海（科技）有限公司"
    ));
    assert!(!same_name("", ""));
    assert!(!same_name("王小明", "王晓明"));
}
